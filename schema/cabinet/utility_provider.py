"""`UtilityProvider` (исполнитель коммунальных услуг, ИКУ) of an account."""

from __future__ import annotations

from typing import Any, Self

import strawberry

from loaders.pages import table_of
from models import UtilityProvider as ProviderModel
from schema.core.compiled.sql_tree import Leaf, declare


@strawberry.type(
    name="UtilityProvider",
    description="The utility provider (исполнитель коммунальных услуг): a management company or HOA.",
)
class UtilityProvider:
    name: str
    inn: str | None = strawberry.field(description="Its INN (ИНН).")
    phone: str | None

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(name=row.name, inn=row.inn, phone=row.phone)


declare(UtilityProvider, table_of(ProviderModel), name=Leaf("name"), inn=Leaf("inn"), phone=Leaf("phone"))

"""`PersonalAccount` (лицевой счёт). The cabinet adds its tabs' fields here; objects adds its link settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

import strawberry
from strawberry import relay

from loaders.objects import AccountById
from models import PersonalAccount as AccountModel
from schema.access import visible_account_ids
from schema.context import Info


@strawberry.type(name="PersonalAccount", description="A personal account (лицевой счёт): a household's supply point.")
class PersonalAccount(relay.Node):
    model: strawberry.Private[AccountModel]

    @classmethod
    def resolve_id(cls, root: Self, *, info: Info) -> str:
        return str(root.model.id)

    @strawberry.field(description="The account number (номер лицевого счёта), 9 digits.")
    def number(self) -> str:
        return self.model.number

    @strawberry.field(description="The address of the supplied premises.")
    def address(self) -> str:
        return self.model.address

    @classmethod
    def from_model(cls, model: AccountModel) -> Self:
        return cls(model=model)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = [int(node_id) for node_id in node_ids if node_id.isdigit()]
        visible = await visible_account_ids(info, ids)
        models = await info.context.loaders.get(AccountById).load_many([i for i in ids if i in visible])
        found = {model.id: cls.from_model(model) for model in models if model is not None}
        return [found.get(int(node_id)) if node_id.isdigit() else None for node_id in node_ids]

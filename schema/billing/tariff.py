"""`Tariff` (тариф): public reference data, readable by anyone signed in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Self

import strawberry

from loaders.metering import TariffById
from models.enums import ZONES_BY_COUNT
from schema.core.context import Info
from schema.core.enums import TariffCategory, TariffZone
from schema.core.nodes import RowNode
from schema.core.ownership import parse_id
from schema.core.scalars import Kopecks


@strawberry.type(
    name="Tariff",
    description="The rate of one zone of a tariff group and zone scheme (тариф), valid on [validFrom, validTo).",
)
class Tariff(RowNode):
    category: TariffCategory
    zone_count: int = strawberry.field(description="The zone scheme: 1, 2 or 3 zones.")
    zone: TariffZone
    rate: Kopecks = strawberry.field(description="Kopecks per kWh (6.06 ₽ is 606).")
    valid_from: date
    valid_to: date | None = strawberry.field(description="Exclusive; null: until further notice.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            row_id=row.id,
            category=row.category,
            zone_count=row.zone_count,
            zone=row.zone,
            rate=row.rate_kopecks,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )

    @classmethod
    def in_zone_order(cls, rows: Iterable[Any]) -> list[Self]:
        def zone_index(row: Any) -> tuple[int, int]:
            return row.zone_count, ZONES_BY_COUNT[row.zone_count].index(row.zone)

        return [cls.from_row(row) for row in sorted(rows, key=zone_index)]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        node_ids = list(node_ids)
        if info.context.viewer is None:
            return [None] * len(node_ids)
        ids = [parse_id(node_id) for node_id in node_ids]
        rows = await info.context.loaders.get(TariffById).load_many([i for i in ids if i is not None])
        found = {row.id: cls.from_row(row) for row in rows if row is not None}
        return [found.get(i) if i is not None else None for i in ids]

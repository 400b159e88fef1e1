"""`DeliveryPoint` (точка поставки) of a contract: a building or premises with its own meters."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry

from loaders.metering import MetersByDeliveryPoint
from loaders.supply import DeliveryPointById
from schema.core.context import Info
from schema.core.nodes import RowNode
from schema.core.ownership import Owner
from schema.readings.meter import Meter

if TYPE_CHECKING:
    from schema.objects.contract import Contract


def _point_owner(row: Any) -> Owner:
    return None, row.contract_id


@strawberry.type(name="DeliveryPoint", description="A delivery point (точка поставки) of a contract.")
class DeliveryPoint(RowNode):
    node_loader = DeliveryPointById
    node_owner = _point_owner
    contract_id: strawberry.Private[int]
    name: str
    address: str = strawberry.field(description="The address of an organisation's premises (not masked).")
    max_capacity_kw: Decimal | None = strawberry.field(description="Maximum capacity, kW.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            row_id=row.id,
            contract_id=row.contract_id,
            name=row.name,
            address=row.address,
            max_capacity_kw=row.max_capacity_kw,
        )

    @strawberry.field(description="The meters in service at this point.")
    async def meters(self, info: Info) -> list[Meter]:
        return [Meter.from_row(row) for row in await info.context.loaders.get(MetersByDeliveryPoint).load(self.row_id)]

    @strawberry.field(description="The contract the point belongs to.")
    async def contract(self, info: Info) -> Annotated[Contract, strawberry.lazy("schema.objects.contract")] | None:
        from loaders.objects import ContractById
        from schema.objects.contract import Contract

        model = await info.context.loaders.get(ContractById).load(self.contract_id)
        return Contract.from_model(model) if model is not None else None

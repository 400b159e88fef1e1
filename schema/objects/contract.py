"""`Contract` (договор) of an organisation or ИП. The cabinet adds delivery points and tabs' fields."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

import strawberry

from loaders.customer_objects import ContractLinkOf
from loaders.metering import ReadingPagesByContract, SubmissionPagesByContract
from loaders.objects import ContractById
from loaders.supply import DeliveryPointsByContract
from models import Contract as ContractModel
from models.enums import Role
from schema.core.context import Info
from schema.core.enums import ContractHolderKind
from schema.core.nodes import RowNode
from schema.core.ownership import Owner
from schema.objects.delivery_point import DeliveryPoint
from schema.objects.receipts import ReceiptDelivery
from schema.readings.tabs import ReadingTabs


def _own_contract(row: Any) -> Owner:
    return None, row.id


@strawberry.type(
    name="Contract", description="A supply contract (договор) of an organisation or individual entrepreneur (ИП)."
)
class Contract(ReadingTabs, RowNode):
    node_loader = ContractById
    node_owner = _own_contract
    reading_pages = ReadingPagesByContract
    submission_pages = SubmissionPagesByContract
    number: str = strawberry.field(description="The contract number, e.g. 15-000123.")
    inn: str = strawberry.field(description="The holder's INN (ИНН): 10 digits for organisations, 12 for individuals.")
    holder_name: str = strawberry.field(description="The holder's name.")

    # ---- the cabinet («Личный кабинет»)

    holder_kind: ContractHolderKind = strawberry.field(description="An organisation or an individual entrepreneur.")
    signed_on: date
    terminated_on: date | None = strawberry.field(description="Set when the contract was terminated.")

    @classmethod
    def from_row(cls, row: ContractModel) -> Self:
        assert row.id is not None
        return cls(
            row_id=row.id,
            number=row.number,
            inn=row.inn,
            holder_name=row.holder_name,
            holder_kind=row.holder_kind,
            signed_on=row.signed_on,
            terminated_on=row.terminated_on,
        )

    @strawberry.field(description="The delivery points (точки поставки) with their meters.")
    async def delivery_points(self, info: Info) -> list[DeliveryPoint]:
        rows = await info.context.loaders.get(DeliveryPointsByContract).load(self.row_id)
        return [DeliveryPoint.from_row(row) for row in rows]

    @strawberry.field(
        description="The viewer's own e-receipt setting for this contract (each representative has their own); "
        "null for staff."
    )
    async def receipt_delivery(self, info: Info) -> ReceiptDelivery | None:
        viewer = info.context.viewer
        if viewer is None or viewer.role is not Role.CUSTOMER:
            return None
        link = await info.context.loaders.get(ContractLinkOf).load((viewer.customer_id, self.row_id))
        return ReceiptDelivery.from_link(link) if link is not None else None

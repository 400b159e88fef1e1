"""`TechConnection` («Техприс»): an object a grid company connected for the customer, with no supply contract yet."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self

import strawberry

from loaders.customer_objects import GridCompanyById, TechConnectionById, TechConnectionsOfCustomer
from loaders.identity import CustomerById
from models import enums
from models.objects import GridCompany as GridCompanyModel
from models.objects import TechConnection as TechConnectionModel
from schema.core.access import can_see_customer_owned, viewer_is_staff_reader
from schema.core.context import Info
from schema.core.nodes import RowNode

TechConnectionStatus = strawberry.enum(
    enums.TechConnectionStatus,
    name="TechConnectionStatus",
    description="How concluding the supply contract stands: CONNECTED (by the grid company), CONTRACT_OFFER_SENT, "
    "CONTRACT_SIGNED, CANCELLED.",
)


@strawberry.type(description="A grid company (электросетевая компания).")
class GridCompany:
    name: str
    inn: str

    @classmethod
    def from_row(cls, model: GridCompanyModel) -> GridCompany:
        return cls(name=model.name, inn=model.inn)


@strawberry.type(
    name="TechConnection",
    description="A tech connection («Техприс»): an object a grid company connected, with no supply contract yet.",
)
class TechConnection(RowNode):
    node_loader = TechConnectionById
    grid_company_id: strawberry.Private[int]
    request_number: str = strawberry.field(
        description="The number of the connection request (заявка на техприсоединение)."
    )
    address: str
    capacity_kw: Decimal = strawberry.field(description="Connected capacity, kW.")
    status: TechConnectionStatus  # type: ignore[valid-type]
    connected_on: date | None = strawberry.field(description="When the grid company connected the object.")
    updated_at: datetime = strawberry.field(description="When the grid company last sent it.")

    @classmethod
    def from_row(cls, row: TechConnectionModel) -> Self:
        assert row.id is not None
        return cls(
            row_id=row.id,
            grid_company_id=row.grid_company_id,
            request_number=row.request_number,
            address=row.address,
            capacity_kw=row.capacity_kw,
            status=row.status,
            connected_on=row.connected_on,
            updated_at=row.updated_at,
        )

    @strawberry.field
    async def grid_company(self, info: Info) -> GridCompany | None:
        model = await info.context.loaders.get(GridCompanyById).load(self.grid_company_id)
        return GridCompany.from_row(model) if model is not None else None

    @classmethod
    async def visible_rows(cls, info: Info, rows: list[Any | None]) -> list[Any | None]:
        """The customer's own (and staff see all); a connection sent for the viewer's phone before they registered
        is theirs too."""
        viewer = info.context.viewer
        phone = None
        if viewer is not None and not viewer_is_staff_reader(info):
            customer = await info.context.loaders.get(CustomerById).load(viewer.customer_id)
            phone = customer.phone if customer is not None else None
        return [
            row
            if row is not None
            and (
                can_see_customer_owned(info, row.customer_id)
                or (row.customer_id is None and phone is not None and row.applicant_phone == phone)
            )
            else None
            for row in rows
        ]


async def tech_connections_of(info: Info, customer_id: int | None, phone: str) -> list[TechConnection]:
    """For `Customer.techConnections` (the Customer is visible to the viewer)."""
    if customer_id is None:
        return []
    models = await info.context.loaders.get(TechConnectionsOfCustomer).load((customer_id, phone))
    return [TechConnection.from_row(model) for model in models]

"""`TechConnection` («Техприс»): an object a grid company connected for the customer, with no supply contract yet."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Self

import strawberry

from loaders.customer_objects import GridCompanyById, TechConnectionById, TechConnectionsOfCustomer
from loaders.identity import CustomerById
from models import enums
from models.objects import GridCompany as GridCompanyModel
from models.objects import TechConnection as TechConnectionModel
from schema.core.access import can_see_customer_owned, viewer_is_staff_reader
from schema.core.context import Info
from schema.core.nodes import ModelNode
from schema.core.ownership import parse_id

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
    def from_model(cls, model: GridCompanyModel) -> GridCompany:
        return cls(name=model.name, inn=model.inn)


@strawberry.type(
    name="TechConnection",
    description="A tech connection («Техприс»): an object a grid company connected, with no supply contract yet.",
)
class TechConnection(ModelNode):
    model: strawberry.Private[TechConnectionModel]

    @strawberry.field(description="The number of the connection request (заявка на техприсоединение).")
    def request_number(self) -> str:
        return self.model.request_number

    @strawberry.field
    def address(self) -> str:
        return self.model.address

    @strawberry.field(description="Connected capacity, kW.")
    def capacity_kw(self) -> Decimal:
        return self.model.capacity_kw

    @strawberry.field
    def status(self) -> TechConnectionStatus:  # type: ignore[valid-type]
        return self.model.status

    @strawberry.field(description="When the grid company connected the object.")
    def connected_on(self) -> date | None:
        return self.model.connected_on

    @strawberry.field(description="When the grid company last sent it.")
    def updated_at(self) -> datetime:
        return self.model.updated_at

    @strawberry.field
    async def grid_company(self, info: Info) -> GridCompany | None:
        model = await info.context.loaders.get(GridCompanyById).load(self.model.grid_company_id)
        return GridCompany.from_model(model) if model is not None else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        node_ids = list(node_ids)
        ids = [pk for pk in map(parse_id, node_ids) if pk is not None]
        models = await info.context.loaders.get(TechConnectionById).load_many(ids)
        viewer = info.context.viewer
        phone = None
        if viewer is not None and not viewer_is_staff_reader(info):
            customer = await info.context.loaders.get(CustomerById).load(viewer.customer_id)
            phone = customer.phone if customer is not None else None
        found = {
            model.id: cls.from_model(model)
            for model in models
            if model is not None
            and (
                can_see_customer_owned(info, model.customer_id)
                or (model.customer_id is None and phone is not None and model.applicant_phone == phone)
            )
        }
        return [found.get(parse_id(node_id)) for node_id in node_ids]


async def tech_connections_of(info: Info, customer_id: int | None, phone: str) -> list[TechConnection]:
    """For `Customer.techConnections` (the Customer is visible to the viewer)."""
    if customer_id is None:
        return []
    models = await info.context.loaders.get(TechConnectionsOfCustomer).load((customer_id, phone))
    return [TechConnection.from_model(model) for model in models]

"""`ContractAccessRequest` (заявка на доступ к договору): seen by its applicant and by staff."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from loaders.customer_objects import ContractAccessRequestById, ContractAccessRequestsOfCustomer
from loaders.files import StoredFileById
from loaders.identity import CustomerById
from loaders.objects import ContractById
from models import enums
from models.objects import ContractAccessRequest as RequestModel
from schema.core.access import can_see_contract, can_see_customer_owned
from schema.core.context import Info
from schema.core.nodes import ModelNode
from schema.core.ownership import parse_id
from schema.files.stored_file import StoredFile
from schema.objects.contract import Contract
from services.objects.contracts import ReviewDecision as ReviewDecisionEnum

if TYPE_CHECKING:
    from schema.identity.customer import Customer

ContractAccessStatus = strawberry.enum(
    enums.ContractAccessStatus,
    name="ContractAccessStatus",
    description="SUBMITTED, UNDER_REVIEW (an operator opened it), APPROVED (the contract is linked), REJECTED.",
)
ContractAccessDecision = strawberry.enum(
    ReviewDecisionEnum, name="ContractAccessDecision", description="An operator's decision on a request."
)


@strawberry.type(
    name="ContractAccessRequest",
    description="A request for access to a contract (заявка на доступ к договору) with the signed application.",
)
class ContractAccessRequest(ModelNode):
    model: strawberry.Private[RequestModel]

    @strawberry.field(description="The holder's INN as the applicant typed it.")
    def inn(self) -> str:
        return self.model.inn

    @strawberry.field(description="The contract number as the applicant typed it, e.g. 15-000123.")
    def contract_number(self) -> str:
        return self.model.contract_number

    @strawberry.field
    def status(self) -> ContractAccessStatus:  # type: ignore[valid-type]
        return self.model.status

    @strawberry.field(description="Why the request was rejected, for the applicant.")
    def rejection_reason(self) -> str | None:
        return self.model.rejection_reason

    @strawberry.field(description="When the request was submitted.")
    def created_at(self) -> datetime:
        return self.model.created_at

    @strawberry.field(description="When an operator decided.")
    def reviewed_at(self) -> datetime | None:
        return self.model.reviewed_at

    @strawberry.field(description="The signed application file.")
    async def application(self, info: Info) -> StoredFile | None:
        model = await info.context.loaders.get(StoredFileById).load(self.model.application_file_id)
        return StoredFile.from_model(model) if model is not None else None

    @strawberry.field(description="The contract, once the request is approved (and while the viewer may see it).")
    async def contract(self, info: Info) -> Contract | None:
        contract_id = self.model.contract_id
        if contract_id is None or not await can_see_contract(info, contract_id):
            return None
        model = await info.context.loaders.get(ContractById).load(contract_id)
        return Contract.from_model(model) if model is not None else None

    @strawberry.field(description="Who asked (contacts masked for analysts).")
    async def applicant(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.identity.customer")] | None:
        from schema.identity.customer import Customer

        model = await info.context.loaders.get(CustomerById).load(self.model.customer_id)
        return Customer.for_viewer(model, info) if model is not None else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        node_ids = list(node_ids)
        ids = [pk for pk in map(parse_id, node_ids) if pk is not None]
        models = await info.context.loaders.get(ContractAccessRequestById).load_many(ids)
        found = {
            model.id: cls.from_model(model)
            for model in models
            if model is not None and can_see_customer_owned(info, model.customer_id)
        }
        return [found.get(parse_id(node_id)) for node_id in node_ids]


async def contract_access_requests_of(info: Info, customer_id: int | None) -> list[ContractAccessRequest]:
    """For `Customer.contractAccessRequests`: the customer's requests, newest first (the Customer is visible)."""
    if customer_id is None:
        return []
    models = await info.context.loaders.get(ContractAccessRequestsOfCustomer).load(customer_id)
    return [ContractAccessRequest.from_model(model) for model in models]

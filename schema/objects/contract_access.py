"""`ContractAccessRequest` (заявка на доступ к договору): seen by its applicant and by staff."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry

from loaders.customer_objects import ContractAccessRequestById, ContractAccessRequestsOfCustomer
from loaders.files import StoredFileById
from loaders.identity import CustomerById
from loaders.objects import ContractById
from models import enums
from models.objects import ContractAccessRequest as RequestModel
from schema.core.access import can_see_contract, can_see_customer_owned
from schema.core.context import Info
from schema.core.nodes import RowNode
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
class ContractAccessRequest(RowNode):
    node_loader = ContractAccessRequestById
    customer_id: strawberry.Private[int]
    contract_id: strawberry.Private[int | None]
    application_file_id: strawberry.Private[int]
    inn: str = strawberry.field(description="The holder's INN as the applicant typed it.")
    contract_number: str = strawberry.field(
        description="The contract number as the applicant typed it, e.g. 15-000123."
    )
    status: ContractAccessStatus  # type: ignore[valid-type]
    rejection_reason: str | None = strawberry.field(description="Why the request was rejected, for the applicant.")
    created_at: datetime = strawberry.field(description="When the request was submitted.")
    reviewed_at: datetime | None = strawberry.field(description="When an operator decided.")

    @classmethod
    def from_row(cls, row: RequestModel) -> Self:
        assert row.id is not None
        return cls(
            row_id=row.id,
            customer_id=row.customer_id,
            contract_id=row.contract_id,
            application_file_id=row.application_file_id,
            inn=row.inn,
            contract_number=row.contract_number,
            status=row.status,
            rejection_reason=row.rejection_reason,
            created_at=row.created_at,
            reviewed_at=row.reviewed_at,
        )

    @strawberry.field(description="The signed application file.")
    async def application(self, info: Info) -> StoredFile | None:
        model = await info.context.loaders.get(StoredFileById).load(self.application_file_id)
        return StoredFile.from_row(model) if model is not None else None

    @strawberry.field(description="The contract, once the request is approved (and while the viewer may see it).")
    async def contract(self, info: Info) -> Contract | None:
        contract_id = self.contract_id
        if contract_id is None or not await can_see_contract(info, contract_id):
            return None
        model = await info.context.loaders.get(ContractById).load(contract_id)
        return Contract.from_row(model) if model is not None else None

    @strawberry.field(description="Who asked (contacts masked for analysts).")
    async def applicant(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.identity.customer")] | None:
        from schema.identity.customer import Customer

        model = await info.context.loaders.get(CustomerById).load(self.customer_id)
        return Customer.from_row(model) if model is not None else None

    @classmethod
    async def visible_rows(cls, info: Info, rows: list[Any | None]) -> list[Any | None]:
        return [row if row is not None and can_see_customer_owned(info, row.customer_id) else None for row in rows]


async def contract_access_requests_of(info: Info, customer_id: int | None) -> list[ContractAccessRequest]:
    """For `Customer.contractAccessRequests`: the customer's requests, newest first (the Customer is visible)."""
    if customer_id is None:
        return []
    models = await info.context.loaders.get(ContractAccessRequestsOfCustomer).load(customer_id)
    return [ContractAccessRequest.from_row(model) for model in models]

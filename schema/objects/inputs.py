"""Inputs and payloads of the objects mutations: accounts, receipts, contract access, tech connections."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload

from schema.cabinet.account import PersonalAccount
from schema.core.errors import UserError
from schema.objects.contract import Contract
from schema.objects.contract_access import ContractAccessDecision, ContractAccessRequest
from schema.objects.tech_connection import TechConnectionStatus


@strawberry.input
class LinkPersonalAccountInput:
    number: str = strawberry.field(description="The 9-digit account number from the front of a receipt.")
    activation_code: str = strawberry.field(description="The code printed above the receipt's QR code.")


@strawberry.type
class LinkPersonalAccountPayload:
    personal_account: PersonalAccount | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UnlinkPersonalAccountInput:
    account_id: relay.GlobalID


@strawberry.type
class UnlinkPersonalAccountPayload:
    unlinked_account_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The account no longer linked to the viewer (it stays linked to others)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UnlinkContractInput:
    contract_id: relay.GlobalID


@strawberry.type
class UnlinkContractPayload:
    unlinked_contract_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The contract no longer linked to the viewer (it stays linked to others)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateReceiptDeliveryInput:
    account_id: relay.GlobalID
    electronic: bool = strawberry.field(description="True: receipts as PDF by email; false: on paper.")
    email: str | None = strawberry.field(default=None, description="Required when `electronic` is true.")


@strawberry.type
class UpdateReceiptDeliveryPayload:
    personal_account: PersonalAccount | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateContractReceiptsInput:
    contract_id: relay.GlobalID
    electronic: bool = strawberry.field(description="True: statements (счета) as PDF by email; false: on paper.")
    email: str | None = strawberry.field(default=None, description="Required when `electronic` is true.")


@strawberry.type
class UpdateContractReceiptsPayload:
    contract: Contract | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RequestContractAccessInput:
    inn: str = strawberry.field(description="INN (ИНН): 10 digits for an organisation, 12 for an ИП.")
    contract_number: str = strawberry.field(description="The contract number, e.g. 15-000123.")
    application: Upload = strawberry.field(
        description="The signed application: PDF, JPEG, PNG or a detached signature (.sig/.p7s), at most 10 MB. "
        "Sent as a GraphQL multipart request with the header `Apollo-Require-Preflight: true`."
    )


@strawberry.type
class RequestContractAccessPayload:
    contract_access_request: ContractAccessRequest | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class StartContractAccessReviewInput:
    request_id: relay.GlobalID


@strawberry.input
class ReviewContractAccessRequestInput:
    request_id: relay.GlobalID
    decision: ContractAccessDecision  # type: ignore[valid-type]
    reason: str | None = strawberry.field(default=None, description="Required to reject; shown to the applicant.")


@strawberry.type
class ContractAccessReviewPayload:
    contract_access_request: ContractAccessRequest | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="One tech connection as the grid company has it.")
class TechConnectionInput:
    external_id: str = strawberry.field(description="The grid company's own id: sending it again updates the record.")
    request_number: str
    applicant_phone: str = strawberry.field(description="The applicant's mobile phone: matches the portal user.")
    address: str
    capacity_kw: Decimal
    status: TechConnectionStatus  # type: ignore[valid-type]
    connected_on: date | None = None


@strawberry.input
class UpsertTechConnectionsInput:
    grid_company_inn: str = strawberry.field(description="The INN of the grid company sending the records.")
    items: list[TechConnectionInput] = strawberry.field(description="At most 500 records per call.")


@strawberry.type
class UpsertTechConnectionsPayload:
    created: int | None = None
    updated: int | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

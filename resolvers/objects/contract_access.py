"""Contract access: customers request it with the signed application; operators list and review the requests."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import BadUserInputError, user_errors
from schema.core.ids import node_pk
from schema.core.pagination import decode_cursor, make_connection, page_size
from schema.core.permissions import IsCustomer, IsOperator, signed_in
from schema.objects.contract_access import ContractAccessRequest, ContractAccessStatus
from schema.objects.inputs import (
    ContractAccessReviewPayload,
    RequestContractAccessInput,
    RequestContractAccessPayload,
    ReviewContractAccessRequestInput,
    StartContractAccessReviewInput,
)
from services.errors import DomainError
from services.objects import contracts
from services.objects.application_template import TEMPLATE_PATH


def _cursor_values(after: str | None) -> tuple[datetime, int] | None:
    values = decode_cursor(after)
    if values is None:
        return None
    try:
        created_at, request_id = values
        return datetime.fromisoformat(created_at), int(request_id)
    except (TypeError, ValueError) as error:
        raise BadUserInputError("Неверный курсор") from error


@strawberry.type
class ContractAccessQuery:
    @strawberry.field(
        permission_classes=[IsOperator],
        description="Operators: contract access requests, oldest first (the review queue), optionally by status.",
    )
    async def contract_access_requests(
        self,
        info: Info,
        status: ContractAccessStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> relay.Connection[ContractAccessRequest]:
        limit = page_size(first)
        rows = await contracts.requests_page(
            info.context.runtime.db, status=status, limit=limit + 1, after=_cursor_values(after)
        )
        return make_connection(
            rows,
            first=limit,
            to_node=ContractAccessRequest.from_model,
            cursor_of=lambda row: (row.created_at.isoformat(), row.id),
            has_previous=after is not None,
        )

    @strawberry.field(
        description="Where to download the application form (PDF) an organisation signs to request contract access."
    )
    def contract_access_application_template_url(self, info: Info) -> str:
        return info.context.runtime.settings.public_url.rstrip("/") + TEMPLATE_PATH


@strawberry.type
class ContractAccessMutation:
    @strawberry.mutation(
        permission_classes=[IsCustomer],
        description="Ask for access to an organisation's or ИП's contract; an operator reviews the request and the "
        "customer gets an SMS with the decision. A GraphQL multipart request (the application is a file).",
    )
    async def request_contract_access(
        self, info: Info, input: RequestContractAccessInput
    ) -> RequestContractAccessPayload:
        try:
            request = await contracts.request_contract_access(
                info.context.runtime,
                customer_id=signed_in(info).customer_id,
                inn=input.inn,
                contract_number=input.contract_number,
                application=input.application,  # type: ignore[arg-type]
            )
        except DomainError as error:
            return RequestContractAccessPayload(errors=user_errors(error))
        return RequestContractAccessPayload(contract_access_request=ContractAccessRequest.from_model(request))

    @strawberry.mutation(
        permission_classes=[IsOperator],
        description="Operators: take a request for review (its applicant sees UNDER_REVIEW). Repeating it is harmless.",
    )
    async def start_contract_access_review(
        self, info: Info, input: StartContractAccessReviewInput
    ) -> ContractAccessReviewPayload:
        request_id = node_pk(input.request_id, "ContractAccessRequest")
        try:
            if request_id is None:
                raise contracts.request_not_found()
            request = await contracts.start_review(info.context.runtime, request_id=request_id)
        except DomainError as error:
            return ContractAccessReviewPayload(errors=user_errors(error))
        return ContractAccessReviewPayload(contract_access_request=ContractAccessRequest.from_model(request))

    @strawberry.mutation(
        permission_classes=[IsOperator],
        description="Operators: approve (the contract with that number and INN is linked to the applicant) or reject "
        "with a reason. Either way the applicant gets an SMS.",
    )
    async def review_contract_access_request(
        self, info: Info, input: ReviewContractAccessRequestInput
    ) -> ContractAccessReviewPayload:
        request_id = node_pk(input.request_id, "ContractAccessRequest")
        try:
            if request_id is None:
                raise contracts.request_not_found()
            request = await contracts.review_contract_access_request(
                info.context.runtime,
                request_id=request_id,
                operator_id=signed_in(info).customer_id,
                decision=input.decision,
                reason=input.reason,
            )
        except DomainError as error:
            return ContractAccessReviewPayload(errors=user_errors(error))
        return ContractAccessReviewPayload(contract_access_request=ContractAccessRequest.from_model(request))

"""Writing appeals: customers open and continue them; operators answer; either side reads and closes them."""

from __future__ import annotations

from typing import Any

import strawberry

from models.enums import AppealTargetKind
from resolvers.appeals.common import appeal_pk, author
from schema.appeals.appeal import Appeal, AppealMessage
from schema.appeals.inputs import (
    AppealPayload,
    AppealTargetInput,
    CloseAppealInput,
    CreateAppealInput,
    CreateAppealPayload,
    MarkAppealReadInput,
    PostAppealMessageInput,
    PostAppealMessagePayload,
)
from schema.core.context import Info
from schema.core.errors import user_errors
from schema.core.ownership import parse_id
from schema.core.permissions import IsCustomer, IsCustomerOrOperator
from services.appeals import conversation
from services.appeals.targets import TargetChoice, target_not_found
from services.errors import DomainError

_TARGET_KINDS = {
    "PersonalAccount": AppealTargetKind.ACCOUNT,
    "Contract": AppealTargetKind.CONTRACT,
    "TechConnection": AppealTargetKind.TECH_CONNECTION,
}


def target_choice(target: AppealTargetInput) -> TargetChoice:
    if target.object_id:
        kind = _TARGET_KINDS.get(target.object_id.type_name)
        object_id = parse_id(target.object_id.node_id)
        if kind is None or object_id is None:
            raise target_not_found()
        return TargetChoice(kind=kind, object_id=object_id)
    return TargetChoice(kind=AppealTargetKind.OTHER, number=target.other_number or "")


def uploads(files: list[Any]) -> list[Any]:
    return list(files or [])


@strawberry.type
class AppealMutation:
    @strawberry.mutation(
        permission_classes=[IsCustomer],
        description="Open an appeal («Новое обращение») with its first message; operators see it in their inbox at "
        "once. A GraphQL multipart request when files are attached.",
    )
    async def create_appeal(self, info: Info, input: CreateAppealInput) -> CreateAppealPayload:
        try:
            posted = await conversation.create_appeal(
                info.context.runtime,
                customer_id=author(info).customer_id,
                target=target_choice(input.target),
                topic=input.topic,
                text=input.text,
                attachments=uploads(input.attachments),
            )
        except DomainError as error:
            return CreateAppealPayload(errors=user_errors(error))
        return CreateAppealPayload(
            appeal=Appeal.from_row(posted.appeal), message=AppealMessage.from_row(posted.message)
        )

    @strawberry.mutation(
        permission_classes=[IsCustomerOrOperator],
        description="Write to an appeal's chat: the customer to their own appeal, an operator to any (an operator's "
        "message answers it and is pushed to the customer). A closed appeal takes no messages.",
    )
    async def post_appeal_message(self, info: Info, input: PostAppealMessageInput) -> PostAppealMessagePayload:
        try:
            posted = await conversation.post_message(
                info.context.runtime,
                appeal_id=appeal_pk(input.appeal_id),
                author=author(info),
                text=input.text,
                attachments=uploads(input.attachments),
            )
        except DomainError as error:
            return PostAppealMessagePayload(errors=user_errors(error))
        return PostAppealMessagePayload(
            appeal=Appeal.from_row(posted.appeal), message=AppealMessage.from_row(posted.message)
        )

    @strawberry.mutation(
        permission_classes=[IsCustomerOrOperator],
        description="Close an appeal (the customer's question is settled); it takes no more messages.",
    )
    async def close_appeal(self, info: Info, input: CloseAppealInput) -> AppealPayload:
        try:
            appeal = await conversation.close_appeal(
                info.context.runtime, appeal_id=appeal_pk(input.appeal_id), by=author(info)
            )
        except DomainError as error:
            return AppealPayload(errors=user_errors(error))
        return AppealPayload(appeal=Appeal.from_row(appeal))

    @strawberry.mutation(
        permission_classes=[IsCustomerOrOperator],
        description="The viewer's side (the customer, or the operators) has read the chat: its unread count is 0.",
    )
    async def mark_appeal_read(self, info: Info, input: MarkAppealReadInput) -> AppealPayload:
        try:
            appeal = await conversation.mark_read(
                info.context.runtime, appeal_id=appeal_pk(input.appeal_id), by=author(info)
            )
        except DomainError as error:
            return AppealPayload(errors=user_errors(error))
        return AppealPayload(appeal=Appeal.from_row(appeal))

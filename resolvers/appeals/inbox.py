"""The operators' inbox of appeals and assigning them."""

from __future__ import annotations

import strawberry
from strawberry import relay

from resolvers.appeals.common import appeal_pk, author
from schema.appeals.appeal import Appeal, AppealStatus, AppealTopic
from schema.appeals.inputs import AppealPayload, AssignAppealInput
from schema.core.context import Info
from schema.core.errors import BadUserInputError, user_errors
from schema.core.ids import node_pk
from schema.core.pagination import decode_cursor, make_connection, page_size
from schema.core.permissions import IsOperator, IsStaffReader, signed_in
from services.appeals.assignment import assign_appeal
from services.appeals.inbox import InboxCursor, InboxFilter, inbox_page
from services.errors import DomainError, ErrorCode


def _inbox_cursor(after: str | None) -> InboxCursor | None:
    values = decode_cursor(after)
    if values is None:
        return None
    if len(values) != 3 or not all(isinstance(value, int) for value in values):
        raise BadUserInputError("Неверный курсор")
    return values[0], values[1], values[2]


@strawberry.type
class AppealInboxQuery:
    @strawberry.field(
        permission_classes=[IsStaffReader],
        description="Staff: appeals awaiting an answer first, longest waiting first; then the others, latest "
        "activity first. Filters combine; analysts read it masked.",
    )
    async def appeal_inbox(
        self,
        info: Info,
        *,
        status: AppealStatus | None = None,  # type: ignore[valid-type]
        topic: AppealTopic | None = None,  # type: ignore[valid-type]
        assigned_to_me: bool = False,
        unassigned: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> relay.Connection[Appeal]:
        if assigned_to_me and unassigned:
            raise BadUserInputError("Выберите одно: «мои» или «не назначенные»", ErrorCode.INVALID_INPUT)
        limit = page_size(first)
        where = InboxFilter(
            status=status,
            topic=topic,
            assigned_to=signed_in(info).customer_id if assigned_to_me else None,
            unassigned=unassigned,
        )
        rows = await inbox_page(info.context.runtime.db, where=where, limit=limit + 1, after=_inbox_cursor(after))
        return make_connection(
            rows,
            first=limit,
            to_node=Appeal.from_row,
            cursor_of=lambda row: (row.rank, row.moment, row.id),
            has_previous=after is not None,
        )


@strawberry.type
class AppealAssignmentMutation:
    @strawberry.mutation(
        permission_classes=[IsOperator],
        description="Operators: assign an appeal to an operator (omit `operatorId` to take it yourself).",
    )
    async def assign_appeal(self, info: Info, input: AssignAppealInput) -> AppealPayload:
        acting = author(info)
        operator_id = acting.customer_id
        try:
            if input.operator_id is not None:
                operator_id = node_pk(input.operator_id, "Customer") or 0
            appeal = await assign_appeal(
                info.context.runtime, appeal_id=appeal_pk(input.appeal_id), operator_id=operator_id, by=acting
            )
        except DomainError as error:
            return AppealPayload(errors=user_errors(error))
        return AppealPayload(appeal=Appeal.from_row(appeal))

"""Appeals pushed live: messages to whoever follows a chat, and inbox changes to operators.

Each subscription reads the outbox stream (`event_stream`), so a client that resubscribes with the last `eventId` it
saw gets everything it missed, across reconnects, server processes and Redis restarts. The customer's own messages
are pushed too (another tab or phone shows them); `message.isMine` tells a client which ones it wrote.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError
from strawberry import relay

from loaders.appeals import AppealById
from schema.appeals.appeal import Appeal, AppealMessage
from schema.appeals.inputs import AppealInboxEvent, AppealMessageEvent
from schema.core.access import can_see_customer_owned, viewer_is_staff_reader
from schema.core.context import Info
from schema.core.ids import node_pk
from schema.core.permissions import IsAuthenticated, IsOperator, signed_in
from services.appeals.events import APPEAL_EVENT_TYPES, MESSAGE_ADDED, InboxChange
from services.outbox import OPERATORS_CHANNEL, appeal_channel, customer_channel
from subscriptions.envelope import Event
from subscriptions.resume import resume_position
from subscriptions.stream import event_stream


class AppealNotFoundError(GraphQLError):
    def __init__(self) -> None:
        super().__init__("Обращение не найдено", extensions={"code": "NOT_FOUND"})


async def _channels(info: Info, appeal_id: relay.GlobalID | None) -> list[str]:
    viewer = signed_in(info)
    if appeal_id is None:
        return [OPERATORS_CHANNEL] if viewer_is_staff_reader(info) else [customer_channel(viewer.customer_id)]
    pk = node_pk(appeal_id, "Appeal")
    row = await info.context.loaders.get(AppealById).load(pk) if pk is not None else None
    if row is None or not can_see_customer_owned(info, row.customer_id):
        raise AppealNotFoundError()
    return [appeal_channel(row.id)]


async def _loaded(info: Info, event: Event) -> tuple[Appeal, AppealMessage | None] | None:
    """The event's appeal and message as the viewer sees them now (fresh loaders: nothing cached across events)."""
    info.context.reset_loaders()
    appeal = (await Appeal.resolve_nodes(info=info, node_ids=[str(event.payload["appealId"])]))[0]
    if appeal is None:
        return None
    message_id = event.payload.get("messageId")
    if message_id is None:
        return appeal, None
    message = (await AppealMessage.resolve_nodes(info=info, node_ids=[str(message_id)]))[0]
    return appeal, message


@strawberry.type
class AppealSubscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Messages added to one appeal, or (omitted) to all the viewer's appeals; staff without an "
        "appeal get every appeal's messages. Pass the last `eventId` as `after` to receive what was missed.",
    )
    async def appeal_message_added(
        self, info: Info, appeal_id: relay.GlobalID | None = None, after: str | None = None
    ) -> AsyncGenerator[AppealMessageEvent]:
        position = resume_position(after)
        channels = await _channels(info, appeal_id)
        async for event in event_stream(info.context.runtime, channels=channels, after=position):
            if event.type != MESSAGE_ADDED:
                continue
            loaded = await _loaded(info, event)
            if loaded is None:
                continue
            appeal, message = loaded
            if message is not None:
                yield AppealMessageEvent(event_id=str(event.position), appeal=appeal, message=message)

    @strawberry.subscription(
        permission_classes=[IsOperator],
        description="Operators: new appeals, customers' messages, replies, assignments and closings as they happen. "
        "Pass the last `eventId` as `after` to receive what was missed.",
    )
    async def appeal_inbox_changed(self, info: Info, after: str | None = None) -> AsyncGenerator[AppealInboxEvent]:
        position = resume_position(after)
        async for event in event_stream(info.context.runtime, channels=[OPERATORS_CHANNEL], after=position):
            if event.type not in APPEAL_EVENT_TYPES:
                continue
            loaded = await _loaded(info, event)
            if loaded is None:
                continue
            appeal, message = loaded
            yield AppealInboxEvent(
                event_id=str(event.position),
                change=InboxChange(event.payload["change"]),
                appeal=appeal,
                message=message,
            )

"""Appeals pushed live: messages to whoever follows a chat, and inbox changes to operators.

Each subscription reads the outbox stream, so a client that resubscribes with the last `eventId` it saw gets
everything it missed, across reconnects, server processes and Redis restarts. The customer's own messages are pushed
too (another tab or phone shows them); `message.isMine` tells a client which ones it wrote.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry import relay

from loaders.appeals import AppealById
from schema.appeals.appeal import Appeal, AppealMessage
from schema.appeals.inputs import AppealInboxEvent, AppealMessageEvent
from schema.core.access import can_see_customer_owned, viewer_is_staff_reader
from schema.core.context import Info
from schema.core.ids import pk_of
from schema.core.live import live
from schema.core.permissions import IsAuthenticated, IsOperator, signed_in
from services.appeals.events import AppealChanged, AppealEvent, AppealMessageAdded
from services.events.outbox import OPERATORS_CHANNEL, appeal_channel, customer_channel


class AppealNotFoundError(GraphQLError):
    def __init__(self) -> None:
        super().__init__("Обращение не найдено", extensions={"code": "NOT_FOUND"})


async def _channels(info: Info, appeal_id: relay.GlobalID | None) -> list[str]:
    viewer = signed_in(info)
    if appeal_id is None:
        return [OPERATORS_CHANNEL] if viewer_is_staff_reader(info) else [customer_channel(viewer.customer_id)]
    row = await info.context.loaders.get(AppealById).load(pk_of(appeal_id, "Appeal", AppealNotFoundError))
    if row is None or not can_see_customer_owned(info, row.customer_id):
        raise AppealNotFoundError()
    return [appeal_channel(row.id)]


async def _operators() -> list[str]:
    return [OPERATORS_CHANNEL]


async def _loaded(info: Info, event: AppealEvent) -> tuple[Appeal, AppealMessage | None] | None:
    """The event's appeal and message as the viewer sees them now (None: the appeal is gone or not visible)."""
    appeal = (await Appeal.resolve_nodes(info=info, node_ids=[str(event.appeal_id)]))[0]
    if appeal is None:
        return None
    if not isinstance(event, AppealMessageAdded):
        return appeal, None
    message = (await AppealMessage.resolve_nodes(info=info, node_ids=[str(event.message_id)]))[0]
    return appeal, message


async def _message_event(info: Info, event: AppealMessageAdded, event_id: str) -> AppealMessageEvent | None:
    loaded = await _loaded(info, event)
    if loaded is None:
        return None
    appeal, message = loaded
    if message is None:
        return None
    return AppealMessageEvent(event_id=event_id, appeal=appeal, message=message)


async def _inbox_event(info: Info, event: AppealEvent, event_id: str) -> AppealInboxEvent | None:
    loaded = await _loaded(info, event)
    if loaded is None:
        return None
    appeal, message = loaded
    return AppealInboxEvent(event_id=event_id, change=event.change, appeal=appeal, message=message)


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
        events = live(
            info,
            after=after,
            channels=partial(_channels, info, appeal_id),
            kinds=[AppealMessageAdded],
            build=partial(_message_event, info),
        )
        async for event in events:
            yield event

    @strawberry.subscription(
        permission_classes=[IsOperator],
        description="Operators: new appeals, customers' messages, replies, assignments and closings as they happen. "
        "Pass the last `eventId` as `after` to receive what was missed.",
    )
    async def appeal_inbox_changed(self, info: Info, after: str | None = None) -> AsyncGenerator[AppealInboxEvent]:
        events = live(
            info,
            after=after,
            channels=_operators,
            kinds=[AppealMessageAdded, AppealChanged],
            build=partial(_inbox_event, info),
        )
        async for event in events:
            yield event

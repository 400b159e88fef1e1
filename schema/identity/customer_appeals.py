"""The «Обращения» section of a customer: appeals grouped by topic, and the list of one topic (or all)."""

from __future__ import annotations

from datetime import datetime

from strawberry import relay

from loaders.appeals import AppealPagesOfCustomer, Page, TopicGroupsOfCustomer
from models.enums import AppealStatus, AppealTopic
from schema.appeals.appeal import Appeal
from schema.appeals.inputs import AppealTopicGroup
from schema.core.access import viewer_is_staff_reader
from schema.core.context import Info
from schema.core.errors import BadUserInputError
from schema.core.pagination import decode_cursor, make_connection, page_size
from services.appeals.topics import TOPIC_ORDER, TOPIC_TITLES


def _cursor(after: str | None) -> tuple[datetime, int] | None:
    values = decode_cursor(after)
    if values is None:
        return None
    try:
        moment, appeal_id = values
        if not isinstance(appeal_id, int):
            raise TypeError("not an id")
        return datetime.fromisoformat(moment), appeal_id
    except (TypeError, ValueError) as error:
        raise BadUserInputError("Неверный курсор") from error


async def appeals(
    info: Info,
    customer_id: int,
    *,
    topic: AppealTopic | None,
    status: AppealStatus | None,
    first: int | None,
    after: str | None,
) -> relay.Connection[Appeal]:
    """The Customer node was already checked: it is the viewer, or the viewer is staff."""
    page = Page(first=page_size(first), after=_cursor(after), topic=topic, status=status)
    rows = await info.context.loaders.get(AppealPagesOfCustomer).load((customer_id, page))
    return make_connection(
        rows,
        first=page.first,
        to_node=Appeal.from_row,
        cursor_of=lambda row: (row.last_message_at.isoformat(), row.id),
        has_previous=after is not None,
    )


async def appeal_topics(info: Info, customer_id: int) -> list[AppealTopicGroup]:
    """All six topics in the form's order, those without appeals too (the frontend may hide them)."""
    rows = await info.context.loaders.get(TopicGroupsOfCustomer).load((customer_id, viewer_is_staff_reader(info)))
    by_topic = {row.topic: row for row in rows}
    groups = []
    for topic in TOPIC_ORDER:
        row = by_topic.get(topic)
        groups.append(
            AppealTopicGroup(
                topic=topic,
                title=TOPIC_TITLES[topic],
                appeal_count=row.appeals if row else 0,
                open_count=row.open_appeals if row else 0,
                unread_count=int(row.unread) if row else 0,
                last_activity_at=row.last_activity if row else None,
            )
        )
    return groups

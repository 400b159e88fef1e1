"""The operators' inbox: appeals awaiting an answer first, longest waiting first; then the rest, latest first.

The order is a keyset (rank, moment, id): rank 0 for appeals with `waiting_since` (moment = when the wait began, in
microseconds), rank 1 for the others (moment = minus their last activity), so one cursor pages through both parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from models import Appeal
from models.enums import AppealStatus, AppealTopic
from services.platform.database import Database

APPEAL: sa.Table = Appeal.__table__  # type: ignore[attr-defined]

_MICROSECONDS = sa.literal(1_000_000)
RANK = sa.case((APPEAL.c.waiting_since.is_(None), 1), else_=0)
MOMENT = sa.case(
    (
        APPEAL.c.waiting_since.is_not(None),
        sa.cast(sa.func.extract("epoch", APPEAL.c.waiting_since) * _MICROSECONDS, sa.BigInteger),
    ),
    else_=-sa.cast(sa.func.extract("epoch", APPEAL.c.last_message_at) * _MICROSECONDS, sa.BigInteger),
)

InboxCursor = tuple[int, int, int]  # (rank, moment, id)


@dataclass(frozen=True, slots=True)
class InboxFilter:
    status: AppealStatus | None = None
    topic: AppealTopic | None = None
    assigned_to: int | None = None
    unassigned: bool = False


async def inbox_page(db: Database, *, where: InboxFilter, limit: int, after: InboxCursor | None) -> Sequence[Any]:
    """Appeal rows with their `rank` and `moment` (the cursor), in inbox order."""
    statement = sa.select(*APPEAL.c, RANK.label("rank"), MOMENT.label("moment"))
    if where.status is not None:
        statement = statement.where(APPEAL.c.status == where.status)
    if where.topic is not None:
        statement = statement.where(APPEAL.c.topic == where.topic)
    if where.assigned_to is not None:
        statement = statement.where(APPEAL.c.assigned_operator_id == where.assigned_to)
    if where.unassigned:
        statement = statement.where(APPEAL.c.assigned_operator_id.is_(None))
    if after is not None:
        statement = statement.where(sa.tuple_(RANK, MOMENT, APPEAL.c.id) > sa.tuple_(*map(sa.literal, after)))
    statement = statement.order_by(RANK, MOMENT, APPEAL.c.id).limit(limit)
    async with db.connection() as connection:
        return (await connection.execute(statement)).all()

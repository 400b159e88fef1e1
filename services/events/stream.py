"""A subscriber's stream of events: what it missed (from the outbox), then live events, without gaps or repeats."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncGenerator, Collection

import sqlalchemy as sa

from services.events.broker import Broker
from services.events.envelope import Event, Gap
from services.platform.database import Database, run
from services.platform.runtime import Runtime

REPLAY_LIMIT = 1000
SEEN_LIMIT = 2000

_REPLAY = sa.text(
    """
    SELECT id, position, type, channels, payload, created_at
    FROM outbox_event
    WHERE position > :after AND channels && CAST(:channels AS varchar(64)[])
    ORDER BY position
    LIMIT :limit
    """
)


async def replay_after(db: Database, *, channels: Collection[str], after: int) -> list[Event]:
    async with db.session() as session:
        rows = (await run(session, _REPLAY, {"after": after, "channels": list(channels), "limit": REPLAY_LIMIT})).all()
    return [
        Event(
            id=row.id,
            position=row.position,
            type=row.type,
            channels=tuple(row.channels),
            payload=row.payload,
            created_at=row.created_at,
        )
        for row in rows
    ]


async def latest_position(db: Database) -> int:
    async with db.session() as session:
        value = (await run(session, sa.text("SELECT coalesce(max(position), 0) FROM outbox_event"))).scalar_one()
    return int(value)


async def event_stream(
    runtime: Runtime, *, channels: Collection[str], after: int | None = None
) -> AsyncGenerator[Event]:
    """Events on `channels`: first those published after position `after` (when given), then live ones.

    Live delivery starts before the replay is read, so nothing published in between is lost; positions already
    replayed are skipped, and an event published twice (a relay retry) is passed on once.
    """
    broker: Broker = runtime.extras["broker"]
    seen: OrderedDict[int, None] = OrderedDict()

    def first_time(event: Event) -> bool:
        if event.id in seen:
            return False
        seen[event.id] = None
        if len(seen) > SEEN_LIMIT:
            seen.popitem(last=False)
        return True

    async with broker.subscribe(channels) as live:
        last = after if after is not None else await latest_position(runtime.db)
        while True:
            # Catch up from the outbox, in pages, until it has nothing newer.
            while True:
                missed = await replay_after(runtime.db, channels=channels, after=last)
                for event in missed:
                    last = event.position
                    if first_time(event):
                        yield event
                if len(missed) < REPLAY_LIMIT:
                    break
            # Then live, until live delivery reports a gap (then catch up again).
            while True:
                item = await live.get()
                if isinstance(item, Gap):
                    break
                if item.position <= last:
                    continue
                last = item.position
                if first_time(item):
                    yield item

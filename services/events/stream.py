"""A subscriber's stream of events: what it missed (from the outbox), then live events, without gaps or repeats.

`follow` is what every subscription reads: the events of the kinds it wants, as their dataclasses, with the position
a client resumes after. `event_stream` beneath it hands out the envelopes.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

import sqlalchemy as sa
import structlog

from services.events.envelope import COLUMNS, Event, Gap
from services.events.kinds import DomainEvent, UnreadablePayload
from services.platform.database import Database, database_unavailable, run
from services.platform.runtime import Runtime

log = structlog.get_logger("events")

E = TypeVar("E", bound=DomainEvent)
T = TypeVar("T")

REPLAY_LIMIT = 1000
SEEN_LIMIT = 2000
# While PostgreSQL cannot be reached, an outbox read is tried again after 0.2 s, 0.4 s … at most every 5 s: an open
# subscription waits for the database instead of ending (issue 13), then resumes where it stood.
OUTBOX_RETRY_FIRST_SECONDS = 0.2
OUTBOX_RETRY_MAX_SECONDS = 5.0

_REPLAY = sa.text(
    f"""
    SELECT {COLUMNS}
    FROM outbox_event
    WHERE position > :after AND channels && CAST(:channels AS varchar(64)[])
    ORDER BY position
    LIMIT :limit
    """
)


async def replay_after(db: Database, *, channels: Collection[str], after: int) -> list[Event]:
    async with db.session() as session:
        rows = (await run(session, _REPLAY, {"after": after, "channels": list(channels), "limit": REPLAY_LIMIT})).all()
    return [Event.from_row(row) for row in rows]


async def latest_position(db: Database) -> int:
    async with db.session() as session:
        value = (await run(session, sa.text("SELECT coalesce(max(position), 0) FROM outbox_event"))).scalar_one()
    return int(value)


async def patiently(read: Callable[[], Awaitable[T]]) -> T:
    """`read()`, tried again with a growing pause for as long as the database cannot be reached (other errors
    pass)."""
    pause = OUTBOX_RETRY_FIRST_SECONDS
    while True:
        try:
            return await read()
        except Exception as error:
            if not database_unavailable(error):
                raise
            log.warning(
                "outbox unreachable, subscriber waits", retry_in_seconds=pause, error=f"{type(error).__name__}: {error}"
            )
        await asyncio.sleep(pause)
        pause = min(pause * 2, OUTBOX_RETRY_MAX_SECONDS)


async def event_stream(
    runtime: Runtime, *, channels: Collection[str], after: int | None = None
) -> AsyncGenerator[Event]:
    """Events on `channels`: first those published after position `after` (when given), then live ones.

    Live delivery starts before the replay is read, so nothing published in between is lost; positions already
    replayed are skipped, and an event published twice (a relay retry) is passed on once.
    """
    broker = runtime.broker
    seen: OrderedDict[int, None] = OrderedDict()

    def first_time(event: Event) -> bool:
        if event.id in seen:
            return False
        seen[event.id] = None
        if len(seen) > SEEN_LIMIT:
            seen.popitem(last=False)
        return True

    async with broker.subscribe(channels) as live:
        # Starting live, "now" is the newest position this process has seen (no statement per subscriber); unknown
        # (a new process, a GAP, the broker away), it is read from the outbox once and remembered.
        replay = after is not None
        if after is not None:
            last = after
        elif broker.live and broker.fanout.high_water is not None:
            last = broker.fanout.high_water
        else:
            gaps, live_then = broker.fanout.gaps, broker.live
            last = await patiently(partial(latest_position, runtime.db))
            if live_then and broker.live:
                broker.fanout.note_position(last, gaps=gaps)
        while True:
            # Catch up from the outbox, in pages, until it has nothing newer. Not needed when starting live: whatever
            # is published after `last` from now on arrives live, and a GAP sends the stream here.
            while replay:
                missed = await patiently(partial(replay_after, runtime.db, channels=channels, after=last))
                for event in missed:
                    last = event.position
                    if first_time(event):
                        yield event
                if len(missed) < REPLAY_LIMIT:
                    break
            replay = True
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


@dataclass(frozen=True, slots=True)
class Delivered(Generic[E]):
    event: E
    position: int

    @property
    def event_id(self) -> str:
        """What a client sees as `eventId` and passes back as `after` to resume."""
        return str(self.position)


async def follow(
    runtime: Runtime, *, channels: Collection[str], after: int | None, kinds: Sequence[type[E]]
) -> AsyncGenerator[Delivered[E]]:
    """The events of `kinds` on `channels` (after position `after`, then live), each read once as its dataclass.

    An event whose stored payload does not fit its kind is logged and skipped: one bad row must not end every
    subscriber's stream, nor come back at each reconnect.
    """
    by_type = {kind.type: kind for kind in kinds}
    async for envelope in event_stream(runtime, channels=channels, after=after):
        try:
            event = envelope.read(by_type)
        except UnreadablePayload as error:
            log.error("unreadable event skipped", event_id=envelope.id, type=envelope.type, error=str(error))
            continue
        if event is not None:
            yield Delivered(event, envelope.position)

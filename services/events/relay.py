"""The outbox relay: gives committed events their publishing position, then hands them to the broker.

Two steps, each under an advisory lock of its own:
1. positions: one relay at a time numbers the events committed since the last run, in id order, and commits;
   from then on a reconnecting subscriber finds them in the outbox (`position > after`);
2. publishing: one relay at a time hands every numbered, unpublished event to the broker in position order and
   marks it published. Live subscribers thus see positions in order, whichever process numbered them.
A publish that fails leaves the events unpublished for the next run (at least once; subscribers drop an event id
they have already seen, and a position they have already passed).

A relay runs when a transaction that wrote events commits: the outbox's trigger NOTIFYs `OUTBOX_NOTIFY_CHANNEL`,
which `listen_for_commits` hears on a connection of its own (revocations must reach every process within 100 ms;
issue 13). Its idle poll is only a fallback.
"""

from __future__ import annotations

import sqlalchemy as sa

from services.events.broker import Broker
from services.events.envelope import COLUMNS, Event
from services.events.outbox import OUTBOX_NOTIFY_CHANNEL
from services.platform.database import run
from services.platform.listener import PostgresListener, shared_listener
from services.platform.runtime import Runtime

OUTBOX_NUMBERED_CHANNEL = "outbox_numbered"
POSITION_LOCK_KEY = 7_201_002
PUBLISH_LOCK_KEY = 7_201_003
BATCH = 500

_PENDING = sa.text("SELECT 1 FROM outbox_event WHERE published_at IS NULL LIMIT 1")
# Numbering NOTIFYs `OUTBOX_NUMBERED_CHANNEL` (on commit) when it numbered any: readers of the outbox by position
# (the e-receipts) wake then instead of polling.
_NUMBER = sa.text(
    f"""
    WITH start AS (SELECT coalesce(max(position), 0) AS last FROM outbox_event),
    batch AS (
        SELECT id, row_number() OVER (ORDER BY id) AS n
        FROM outbox_event WHERE position IS NULL ORDER BY id LIMIT :batch
    ),
    numbered AS (
        UPDATE outbox_event AS e SET position = start.last + batch.n
        FROM batch, start
        WHERE e.id = batch.id
        RETURNING e.id
    )
    SELECT pg_notify('{OUTBOX_NUMBERED_CHANNEL}', '') FROM (SELECT count(*) AS n FROM numbered) AS done WHERE n > 0
    """
)
_UNPUBLISHED = sa.text(
    f"""
    SELECT {COLUMNS}
    FROM outbox_event
    WHERE published_at IS NULL AND position IS NOT NULL
    ORDER BY position
    LIMIT :batch
    """
)
_MARK_PUBLISHED = sa.text("UPDATE outbox_event SET published_at = :now WHERE id = ANY(:ids)")


async def relay_once(runtime: Runtime, broker: Broker | None = None) -> int:
    """Number and publish the events committed since the last run; how many were published."""
    broker = broker or runtime.broker
    db = runtime.db
    async with db.session() as session:
        if (await run(session, _PENDING)).first() is None:
            return 0
    async with db.session() as session:
        await run(session, sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSITION_LOCK_KEY})
        await run(session, _NUMBER, {"batch": BATCH})
        await session.commit()
    async with db.session() as session:
        await run(session, sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUBLISH_LOCK_KEY})
        rows = (await run(session, _UNPUBLISHED, {"batch": BATCH})).all()
        events = [Event.from_row(row) for row in rows]
        if events:
            await broker.publish(events)
            await run(session, _MARK_PUBLISHED, {"now": runtime.clock.now(), "ids": [event.id for event in events]})
        await session.commit()
    return len(events)


def listen_for_commits(runtime: Runtime) -> PostgresListener:
    """The relay job's wake: a notification from each commit that wrote events (see the module's note)."""
    return shared_listener(runtime, OUTBOX_NOTIFY_CHANNEL)


def listen_for_numbered(runtime: Runtime) -> PostgresListener:
    """The wake of a job that reads the outbox by position: a notification when the relay numbered events."""
    return shared_listener(runtime, OUTBOX_NUMBERED_CHANNEL)

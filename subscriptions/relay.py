"""The outbox relay: gives committed events their publishing position and hands them to the broker.

One relay at a time (an advisory lock), so positions grow in the order events are published. The broker is called
before the positions commit: if publishing fails, the positions roll back and the events are published again later
(at least once; subscribers drop an event id they have already seen).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from services.platform.database import run
from services.platform.runtime import Runtime
from subscriptions.broker import Broker
from subscriptions.envelope import Event

RELAY_LOCK_KEY = 7_201_002
BATCH = 500

_PENDING = sa.text("SELECT 1 FROM outbox_event WHERE position IS NULL LIMIT 1")
_CLAIM = sa.text(
    """
    WITH start AS (SELECT coalesce(max(position), 0) AS last FROM outbox_event),
    batch AS (
        SELECT id, row_number() OVER (ORDER BY id) AS n
        FROM outbox_event WHERE position IS NULL ORDER BY id LIMIT :batch
    )
    UPDATE outbox_event AS e
    SET position = start.last + batch.n, published_at = :now
    FROM batch, start
    WHERE e.id = batch.id
    RETURNING e.id, e.position, e.type, e.channels, e.payload, e.created_at
    """
)


async def relay_once(runtime: Runtime, broker: Broker | None = None) -> int:
    """Publish the events committed since the last run; how many were published."""
    broker = broker or runtime.extras["broker"]
    db = runtime.db
    async with db.session() as session:
        if (await run(session, _PENDING)).first() is None:
            return 0
    now: datetime = runtime.clock.now()
    async with db.session() as session:
        await run(session, sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": RELAY_LOCK_KEY})
        rows = (await run(session, _CLAIM, {"batch": BATCH, "now": now})).all()
        events = sorted(
            (
                Event(
                    id=row.id,
                    position=row.position,
                    type=row.type,
                    channels=tuple(row.channels),
                    payload=row.payload,
                    created_at=row.created_at,
                )
                for row in rows
            ),
            key=lambda event: event.position,
        )
        if events:
            await broker.publish(events)
        await session.commit()
    return len(events)

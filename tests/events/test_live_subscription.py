"""One subscriber's live items (services/events/broker.py `LiveSubscription`, no longer an asyncio.Queue: issue 15):
in order, a waiting reader woken by the next offer, and a GAP instead of unbounded memory for one far behind."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from services.events.broker import QUEUE_LIMIT, LiveSubscription
from services.events.envelope import GAP, Event


def _event(position: int) -> Event:
    return Event(
        id=position,
        position=position,
        type="test.happened",
        channels=("c",),
        payload={},
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


async def test_items_come_out_in_the_order_offered() -> None:
    subscription = LiveSubscription(["c"])
    for position in (1, 2, 3):
        subscription.offer(_event(position))
    assert [(await subscription.get()).position for _ in range(3)] == [1, 2, 3]  # type: ignore[union-attr]


async def test_a_waiting_reader_is_woken_by_the_next_offer() -> None:
    subscription = LiveSubscription(["c"])
    reading = asyncio.ensure_future(subscription.get())
    await asyncio.sleep(0)
    assert not reading.done()
    subscription.offer(_event(7))
    item = await asyncio.wait_for(reading, timeout=5)
    assert item == _event(7)


async def test_a_cancelled_reader_leaves_the_items_for_the_next() -> None:
    subscription = LiveSubscription(["c"])
    reading = asyncio.ensure_future(subscription.get())
    await asyncio.sleep(0)
    reading.cancel()
    await asyncio.sleep(0)
    subscription.offer(_event(1))
    assert await asyncio.wait_for(subscription.get(), timeout=5) == _event(1)


async def test_a_subscriber_too_far_behind_gets_what_was_kept_then_a_gap() -> None:
    subscription = LiveSubscription(["c"])
    for position in range(1, QUEUE_LIMIT + 11):  # ten more than it keeps
        subscription.offer(_event(position))
    kept = [await subscription.get() for _ in range(QUEUE_LIMIT)]
    assert [item.position for item in kept] == list(range(1, QUEUE_LIMIT + 1))  # type: ignore[union-attr]
    assert await subscription.get() is GAP  # it re-reads from the outbox from there
    subscription.offer(_event(QUEUE_LIMIT + 20))
    assert await asyncio.wait_for(subscription.get(), timeout=5) == _event(QUEUE_LIMIT + 20)

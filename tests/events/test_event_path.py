"""The event path: a change and its event commit together; the relay publishes; subscribers miss nothing.

Every test runs with the in-process broker and with Redis (two brokers sharing Redis stand for two processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from services.events.broker import Broker, InProcessBroker, RedisBroker
from services.events.envelope import Event
from services.events.relay import relay_once
from services.events.stream import event_stream
from services.outbox import record_event
from services.platform.database import Database, TransactionalDatabase
from services.platform.runtime import Runtime

pytestmark = pytest.mark.smoke


class Brokers:
    """The broker the relay publishes through and the one the subscriber listens on (the same when in-process)."""

    def __init__(self, publisher: Broker, subscriber: Broker, redis: Any | None = None) -> None:
        self.publisher = publisher
        self.subscriber = subscriber
        self.redis = redis


@pytest_asyncio.fixture(params=["in-process", "redis"])
async def brokers(request: pytest.FixtureRequest) -> AsyncIterator[Brokers]:
    if request.param == "in-process":
        broker = InProcessBroker()
        yield Brokers(broker, broker)
        return
    url = request.getfixturevalue("redis_url")
    channel = f"lk:test:{uuid.uuid4().hex}"
    publisher_client = aioredis.from_url(url)
    subscriber_client = aioredis.from_url(url)
    publisher, subscriber = (
        RedisBroker(publisher_client, channel=channel),
        RedisBroker(subscriber_client, channel=channel),
    )
    await publisher.start()
    await subscriber.start()
    yield Brokers(publisher, subscriber, subscriber_client)
    await subscriber.stop()
    await publisher.stop()
    await publisher_client.aclose()
    await subscriber_client.aclose()


@pytest.fixture
def subscriber_runtime(runtime: Runtime, brokers: Brokers) -> Runtime:
    runtime.extras["broker"] = brokers.subscriber
    return runtime


async def commit_event(db: Database, runtime: Runtime, channel: str, n: int) -> None:
    async with db.session() as session:
        record_event(session, type="test.happened", channels=[channel], payload={"n": n}, now=runtime.clock.now())
        await session.commit()


async def publish(runtime: Runtime, brokers: Brokers) -> int:
    return await relay_once(runtime, brokers.publisher)


async def take(stream: AsyncGenerator[Event], count: int) -> list[Event]:
    async def collect() -> list[Event]:
        return [await anext(stream) for _ in range(count)]

    return await asyncio.wait_for(collect(), timeout=5)


async def started(stream: AsyncGenerator[Event]) -> asyncio.Task[Event]:
    """Start reading the stream (so that it subscribes) and give it a moment to reach the live part."""
    task = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.05)
    return task


def channel_name() -> str:
    return f"account:{uuid.uuid4().int % 10**9}"


async def test_a_committed_event_reaches_a_live_subscriber(
    db: TransactionalDatabase, subscriber_runtime: Runtime, brokers: Brokers
) -> None:
    # given
    channel = channel_name()
    stream = event_stream(subscriber_runtime, channels=[channel])
    first = await started(stream)

    # when
    await commit_event(db, subscriber_runtime, channel, 1)
    published = await publish(subscriber_runtime, brokers)

    # then
    event = await asyncio.wait_for(first, timeout=5)
    assert published >= 1
    assert (event.type, event.payload, event.channels) == ("test.happened", {"n": 1}, (channel,))
    await stream.aclose()


async def test_a_rolled_back_change_publishes_nothing(
    db: TransactionalDatabase, subscriber_runtime: Runtime, brokers: Brokers
) -> None:
    channel = channel_name()
    stream = event_stream(subscriber_runtime, channels=[channel])
    first = await started(stream)

    async with db.session() as session:
        record_event(session, type="test.happened", channels=[channel], payload={}, now=subscriber_runtime.clock.now())
        await session.rollback()
    published = await publish(subscriber_runtime, brokers)

    await asyncio.sleep(0.2)
    assert published == 0
    assert not first.done()
    first.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first
    await stream.aclose()


async def test_a_subscriber_of_another_channel_receives_nothing(
    db: TransactionalDatabase, subscriber_runtime: Runtime, brokers: Brokers
) -> None:
    mine, theirs = channel_name(), channel_name()
    stream = event_stream(subscriber_runtime, channels=[mine])
    first = await started(stream)

    await commit_event(db, subscriber_runtime, theirs, 1)
    await publish(subscriber_runtime, brokers)
    await commit_event(db, subscriber_runtime, mine, 2)
    await publish(subscriber_runtime, brokers)

    event = await asyncio.wait_for(first, timeout=5)
    assert event.payload == {"n": 2}
    await stream.aclose()


async def test_a_reconnecting_subscriber_receives_what_it_missed(
    db: TransactionalDatabase, subscriber_runtime: Runtime, brokers: Brokers
) -> None:
    # given: a subscriber saw event 1, then went away
    channel = channel_name()
    stream = event_stream(subscriber_runtime, channels=[channel])
    first = await started(stream)
    await commit_event(db, subscriber_runtime, channel, 1)
    await publish(subscriber_runtime, brokers)
    seen = await asyncio.wait_for(first, timeout=5)
    await stream.aclose()

    # when: two events are published while it is away, and it comes back with the last position it saw
    await commit_event(db, subscriber_runtime, channel, 2)
    await commit_event(db, subscriber_runtime, channel, 3)
    await publish(subscriber_runtime, brokers)
    resumed = event_stream(subscriber_runtime, channels=[channel], after=seen.position)
    missed = await take(resumed, 2)

    # then: it gets both, in order, and then live ones
    assert [event.payload["n"] for event in missed] == [2, 3]
    live = await started(resumed)
    await commit_event(db, subscriber_runtime, channel, 4)
    await publish(subscriber_runtime, brokers)
    assert (await asyncio.wait_for(live, timeout=5)).payload == {"n": 4}
    await resumed.aclose()


async def test_positions_grow_in_publishing_order_across_batches(
    db: TransactionalDatabase, subscriber_runtime: Runtime, brokers: Brokers
) -> None:
    channel = channel_name()
    for n in range(3):
        await commit_event(db, subscriber_runtime, channel, n)
        await publish(subscriber_runtime, brokers)

    replayed = await take(event_stream(subscriber_runtime, channels=[channel], after=0), 3)

    positions = [event.position for event in replayed]
    assert positions == sorted(positions)
    assert len(set(positions)) == 3
    assert [event.payload["n"] for event in replayed] == [0, 1, 2]


async def test_a_failed_publish_leaves_the_events_for_the_next_run(
    db: TransactionalDatabase, subscriber_runtime: Runtime, brokers: Brokers
) -> None:
    class BrokenBroker(InProcessBroker):
        async def publish(self, events: list[Event]) -> None:
            raise ConnectionError("broker down")

    channel = channel_name()
    stream = event_stream(subscriber_runtime, channels=[channel])
    first = await started(stream)
    await commit_event(db, subscriber_runtime, channel, 1)

    with pytest.raises(ConnectionError):
        await relay_once(subscriber_runtime, BrokenBroker())
    published = await publish(subscriber_runtime, brokers)

    assert published == 1
    assert (await asyncio.wait_for(first, timeout=5)).payload == {"n": 1}
    await stream.aclose()


async def test_a_lost_redis_connection_is_caught_up_from_the_outbox(
    db: TransactionalDatabase, runtime: Runtime, redis_url: str
) -> None:
    # given: a live subscriber in one process, whose Redis connection is about to drop, and a relay in another
    channel = f"lk:test:{uuid.uuid4().hex}"
    name = f"lk-test-{uuid.uuid4().hex[:12]}"
    publisher_client, subscriber_client = aioredis.from_url(redis_url), aioredis.from_url(redis_url, client_name=name)
    publisher = RedisBroker(publisher_client, channel=channel)
    subscriber = RedisBroker(subscriber_client, channel=channel)
    await publisher.start()
    await subscriber.start()
    runtime.extras["broker"] = subscriber
    account = channel_name()
    stream = event_stream(runtime, channels=[account])
    first = await started(stream)

    # when: its pub/sub connection is killed and an event is published while it reconnects
    assert await _kill_connections_named(publisher_client, name) == 1
    await commit_event(db, runtime, account, 1)
    await relay_once(runtime, publisher)

    # then: the event arrives all the same (replayed from the outbox after the reconnect)
    try:
        assert (await asyncio.wait_for(first, timeout=10)).payload == {"n": 1}
    finally:
        await stream.aclose()
        await subscriber.stop()
        await publisher.stop()
        await publisher_client.aclose()
        await subscriber_client.aclose()


async def _kill_connections_named(client: Any, name: str) -> int:
    """Drop only this test's subscriber connections (other test runs may share the Redis server); how many."""
    killed = 0
    for line in (await client.execute_command("CLIENT", "LIST", "TYPE", "pubsub")).decode().splitlines():
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        if fields.get("name") == name:
            await client.execute_command("CLIENT", "KILL", "ID", fields["id"])
            killed += 1
    return killed


async def test_a_subscriber_resuming_while_the_relay_publishes_still_gets_the_event(
    server_url: str, runtime: Runtime
) -> None:
    """The relay numbers events and commits before it publishes: whoever resumes in between finds them by replay."""
    from tests.support.processes import committed_database

    class HeldBroker(InProcessBroker):
        def __init__(self) -> None:
            super().__init__()
            self.entered = asyncio.Event()
            self.release = asyncio.Event()

        async def publish(self, events: list[Event]) -> None:
            self.entered.set()
            await self.release.wait()
            await super().publish(events)

    async with committed_database(server_url) as db:
        # given: event 1 published; event 2 numbered, its publication held up
        live = InProcessBroker()
        committed = Runtime(settings=runtime.settings, db=db, clock=runtime.clock, extras={"broker": live})
        channel = channel_name()
        await commit_event(db, committed, channel, 1)
        await relay_once(committed, live)
        await commit_event(db, committed, channel, 2)
        held = HeldBroker()
        relaying = asyncio.create_task(relay_once(committed, held))
        await asyncio.wait_for(held.entered.wait(), timeout=5)

        # when: a subscriber resumes after event 1 in that moment
        resumed = event_stream(committed, channels=[channel], after=1)
        missed = await take(resumed, 1)
        held.release.set()
        await relaying

        # then: it got event 2 from the outbox, and later events live, with no repeat
        assert [event.payload["n"] for event in missed] == [2]
        following = await started(resumed)
        await commit_event(db, committed, channel, 3)
        await relay_once(committed, live)
        assert (await asyncio.wait_for(following, timeout=5)).payload == {"n": 3}
        await resumed.aclose()

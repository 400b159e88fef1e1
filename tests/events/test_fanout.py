"""Many subscribers in one process (issue 15: 5,000 sockets over two processes): they share the process's one Redis
subscription, each gets each event once, a subscriber that starts live costs no statement, and waiting sockets do not
ask the database one by one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest_asyncio
import redis.asyncio as aioredis
from sqlmodel.ext.asyncio.session import AsyncSession

from services.events.broker import RedisBroker, make_broker
from services.events.envelope import Event
from services.events.relay import relay_once
from services.events.stream import event_stream
from services.identity.guard import SessionGuard
from services.platform.database import Database, TransactionalDatabase, count_statements
from services.platform.runtime import Runtime
from tests.events.test_event_path import _kill_connections_named, channel_name, commit_event
from tests.support.factories import create_customer
from tests.support.identity import sign_in_as

SUBSCRIBERS = 50


@dataclass
class Processes:
    """Two processes' brokers on one Redis: the relay publishes through `publisher`, subscribers listen on
    `subscriber`, whose connection is named so that a test can find (and kill) it."""

    publisher: RedisBroker
    subscriber: RedisBroker
    admin: Any
    channel: str
    subscriber_name: str


@pytest_asyncio.fixture
async def processes(redis_url: str) -> AsyncIterator[Processes]:
    channel = f"lk:test:{uuid.uuid4().hex}"
    name = f"lk-test-{uuid.uuid4().hex[:12]}"
    clients = aioredis.from_url(redis_url), aioredis.from_url(redis_url, client_name=name)
    publisher, subscriber = RedisBroker(clients[0], channel=channel), RedisBroker(clients[1], channel=channel)
    await publisher.start()
    await subscriber.start()
    yield Processes(publisher, subscriber, clients[0], channel, name)
    await subscriber.stop()
    await publisher.stop()
    for client in clients:
        await client.aclose()


async def _start(streams: list[AsyncGenerator[Event]]) -> list[asyncio.Task[Event]]:
    """Start reading each stream (so that it subscribes) and let them reach their live part."""
    tasks = [asyncio.ensure_future(anext(stream)) for stream in streams]
    await asyncio.sleep(0.1)
    return tasks


async def _next_of_each(streams: list[AsyncGenerator[Event]], first: list[asyncio.Task[Event]]) -> list[list[int]]:
    """Each stream's first event (already being read) and the two after it: their `n`."""

    async def three(stream: AsyncGenerator[Event], pending: asyncio.Task[Event]) -> list[int]:
        events = [await pending, await anext(stream), await anext(stream)]
        return [event.payload["n"] for event in events]

    return await asyncio.wait_for(
        asyncio.gather(*(three(stream, task) for stream, task in zip(streams, first, strict=True))), timeout=20
    )


async def test_subscribers_of_one_channel_share_the_process_redis_subscription_and_get_each_event_once(
    db: TransactionalDatabase, runtime: Runtime, processes: Processes
) -> None:
    # given: many subscribers of one channel in the subscribing process
    runtime.broker = processes.subscriber
    account = channel_name()
    streams = [event_stream(runtime, channels=[account]) for _ in range(SUBSCRIBERS)]
    first = await _start(streams)

    # then: Redis holds one subscription per process (the publisher's reader and the subscriber's), not per stream
    numsub = await processes.admin.execute_command("PUBSUB", "NUMSUB", processes.channel)
    assert int(numsub[1]) == 2

    # when: three events are published by the other process; then: every subscriber gets each of them, once, in order
    assert (
        await _publish_three(db, runtime, processes, account, streams=streams, first=first) == [[1, 2, 3]] * SUBSCRIBERS
    )


async def test_a_subscriber_that_starts_live_makes_no_statement(
    db: TransactionalDatabase, runtime: Runtime, processes: Processes
) -> None:
    # given: the process has learnt where the event stream stands (its first live subscriber read it once)
    runtime.broker = processes.subscriber
    account = channel_name()
    learner = event_stream(runtime, channels=[account])
    first = await _start([learner])

    # when: many more subscribers start live, and wait
    async with count_statements() as counted:
        streams = [event_stream(runtime, channels=[account]) for _ in range(SUBSCRIBERS)]
        waiting = await _start(streams)
        await asyncio.sleep(0.2)
        statements = counted[0]

    # then: none of them asked PostgreSQL anything, and each still gets the events published after it started
    got = await _publish_three(db, runtime, processes, account, streams=[learner, *streams], first=[*first, *waiting])
    assert statements == 0
    assert got == [[1, 2, 3]] * (SUBSCRIBERS + 1)


async def test_an_event_published_while_the_process_reconnects_reaches_every_live_subscriber(
    db: TransactionalDatabase, runtime: Runtime, processes: Processes
) -> None:
    # given: live subscribers started from the position the process knows (no statement each)
    runtime.broker = processes.subscriber
    account = channel_name()
    streams = [event_stream(runtime, channels=[account]) for _ in range(SUBSCRIBERS)]
    first = await _start(streams)

    # when: the process's Redis connection is killed, and events are published while it reconnects
    assert await _kill_connections_named(processes.admin, processes.subscriber_name) == 1
    got = await _publish_three(db, runtime, processes, account, streams=streams, first=first)

    # then: every subscriber gets them all the same (from the outbox after the GAP), once each
    assert got == [[1, 2, 3]] * SUBSCRIBERS


async def _publish_three(
    db: TransactionalDatabase,
    runtime: Runtime,
    processes: Processes,
    account: str,
    *,
    streams: list[AsyncGenerator[Event]],
    first: list[asyncio.Task[Event]],
) -> list[list[int]]:
    """Three events committed and published by the other process; what each stream got; the streams closed."""
    for n in (1, 2, 3):
        await commit_event(db, runtime, account, n)
    await relay_once(runtime, processes.publisher)
    try:
        return await _next_of_each(streams, first)
    finally:
        for stream in streams:
            await stream.aclose()


class CountingDatabase(Database):
    """The test's database, counting the sessions opened and the plain reads made through it."""

    def __init__(self, db: Database) -> None:
        super().__init__(db.engine)
        self.db = db
        self.opened = 0

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        self.opened += 1
        async with self.db.session() as session:
            yield session

    async def fetch(self, query: str, *args: Any, record_class: type[asyncpg.Record] | None = None) -> list[Any]:
        self.opened += 1
        return await self.db.fetch(query, *args, record_class=record_class)


async def test_waiting_sockets_sessions_are_checked_together_not_one_by_one(
    runtime: Runtime, processes: Processes
) -> None:
    # given: a listening guard holding "alive" answers for many sessions, a socket waiting on each
    counting = CountingDatabase(runtime.db)
    guard = SessionGuard(counting, runtime.clock, poll_seconds=0.02)
    await guard.start(processes.subscriber)
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    sessions = [(await sign_in_as(runtime, customer)).session_id for _ in range(SUBSCRIBERS)]
    for session_id in sessions:
        assert not await guard.is_revoked(session_id)
    waiting = [asyncio.ensure_future(guard.wait_revoked(session_id, timeout=3600)) for session_id in sessions]
    try:
        await asyncio.sleep(0.1)
        before = counting.opened

        # when: the held answers run out every 0.2 s (the safety net should the feed die silently) for a second
        guard.alive_ttl_seconds = 0.2
        await asyncio.sleep(1.0)

        # then: the guard looked at the database for all the waiting sessions together, a few times, not once per
        # socket each time; nobody was woken
        assert 1 <= counting.opened - before < SUBSCRIBERS // 2
        assert not any(task.done() for task in waiting)
    finally:
        for task in waiting:
            task.cancel()
        await guard.stop()


def test_each_redis_database_has_its_own_events_channel() -> None:
    # Pub/sub channels are shared by every database of a Redis server: another deployment (or checkout) on another
    # database number must not feed this one's subscribers positions of another outbox.
    def channel_of(url: str) -> str:
        broker = make_broker(aioredis.from_url(url))
        assert isinstance(broker, RedisBroker)
        return broker.channel

    assert channel_of("redis://127.0.0.1:6379/0") == channel_of("redis://127.0.0.1:6379") == "lk:events"
    assert channel_of("redis://127.0.0.1:6379/13") == "lk:events:13"

"""Revocations reach every process's session guard through the broker: each way of revoking writes an
`identity.sessions_revoked` event, and a guard that holds an "alive" answer learns of the revocation from it (not by
polling). Without a live feed, or after a gap in it, the guard asks the database again.

Every test runs with the in-process broker and with Redis (two brokers sharing Redis stand for two processes).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
import sqlalchemy as sa

from models.identity import Customer
from services.events.broker import Broker, InProcessBroker, RedisBroker
from services.events.relay import relay_once
from services.identity import profile, sessions
from services.identity.guard import SessionGuard
from services.identity.sessions import IssuedSession
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.factories import DEFAULT_PASSWORD, create_customer
from tests.support.identity import sign_in_as

WAKE_TIMEOUT = 10  # generous for a loaded machine; the guard polls only every POLL_SECONDS
POLL_SECONDS = 3600.0  # so that only a revocation's event can wake a waiting socket within the test


class Brokers:
    def __init__(self, publisher: Broker, listener: Broker) -> None:
        self.publisher = publisher  # the relay of the process where the revocation happens publishes through it
        self.listener = listener  # the guard of another process listens on it


@pytest_asyncio.fixture(params=["in-process", "redis"])
async def brokers(request: pytest.FixtureRequest) -> AsyncIterator[Brokers]:
    if request.param == "in-process":
        broker = InProcessBroker()
        yield Brokers(broker, broker)
        return
    url = request.getfixturevalue("redis_url")
    channel = f"lk:test:{uuid.uuid4().hex}"
    clients = aioredis.from_url(url), aioredis.from_url(url)
    publisher, listener = RedisBroker(clients[0], channel=channel), RedisBroker(clients[1], channel=channel)
    await publisher.start()
    await listener.start()
    yield Brokers(publisher, listener)
    await listener.stop()
    await publisher.stop()
    for client in clients:
        await client.aclose()


@pytest_asyncio.fixture
async def guard(runtime: Runtime, brokers: Brokers) -> AsyncIterator[SessionGuard]:
    """Another process's guard, listening for revocations."""
    guard = SessionGuard(runtime.db, runtime.clock, poll_seconds=POLL_SECONDS)
    await guard.start(brokers.listener)
    yield guard
    await guard.stop()


async def _sign_out(runtime: Runtime, issued: IssuedSession, _: Customer) -> None:
    await sessions.sign_out(runtime, refresh_token=issued.refresh_token, everywhere=False)


async def _sign_out_everywhere(runtime: Runtime, _: IssuedSession, customer: Customer) -> None:
    other = await sign_in_as(runtime, customer)
    await sessions.sign_out(runtime, refresh_token=other.refresh_token, everywhere=True)


async def _change_password(runtime: Runtime, _: IssuedSession, customer: Customer) -> None:
    assert customer.id is not None
    other = await sign_in_as(runtime, customer)
    await profile.change_password(
        runtime,
        customer_id=customer.id,
        current_session_id=other.session_id,
        current_password=DEFAULT_PASSWORD,
        new_password="Changed2026pass",
        new_password_confirmation="Changed2026pass",
    )


async def _reuse_refresh_token(runtime: Runtime, issued: IssuedSession, _: Customer) -> None:
    # The copy comes from another client: within the reuse grace only the rotating client gets the successor again.
    await sessions.refresh_session(runtime, refresh_token=issued.refresh_token, client=sessions.ClientInfo("10.0.0.1"))
    with pytest.raises(sessions.RefreshTokenReused):
        await sessions.refresh_session(
            runtime, refresh_token=issued.refresh_token, client=sessions.ClientInfo("10.0.0.2")
        )


Revocation = Callable[[Runtime, IssuedSession, Customer], Awaitable[None]]


@pytest.mark.parametrize(
    "revoke",
    [_sign_out, _sign_out_everywhere, _change_password, _reuse_refresh_token],
    ids=["sign-out", "sign-out-everywhere", "password-change", "refresh-token-reuse"],
)
async def test_a_revocation_made_anywhere_wakes_the_other_process_guard(
    runtime: Runtime, brokers: Brokers, guard: SessionGuard, revoke: Revocation
) -> None:
    # given: a session the other process has found alive, with a socket waiting on it
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    issued = await sign_in_as(runtime, customer)
    assert guard.trusted
    assert not await guard.is_revoked(issued.session_id)
    waiting = asyncio.create_task(guard.wait_revoked(issued.session_id, timeout=POLL_SECONDS))
    await asyncio.sleep(0.05)

    # when: the session is revoked here, and this process's relay publishes
    await revoke(runtime, issued, customer)
    await relay_once(runtime, brokers.publisher)

    # then: the waiting socket wakes, and the other process refuses the session from now on
    await asyncio.wait_for(waiting, timeout=WAKE_TIMEOUT)
    assert await guard.is_revoked(issued.session_id)


async def test_a_session_that_stays_signed_in_is_not_woken(
    runtime: Runtime, brokers: Brokers, guard: SessionGuard
) -> None:
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    kept, ended = await sign_in_as(runtime, customer), await sign_in_as(runtime, customer)
    assert not await guard.is_revoked(kept.session_id)
    waiting = asyncio.create_task(guard.wait_revoked(kept.session_id, timeout=POLL_SECONDS))

    await sessions.sign_out(runtime, refresh_token=ended.refresh_token, everywhere=False)
    await relay_once(runtime, brokers.publisher)
    await asyncio.wait_for(_revoked_in(guard, ended.session_id), timeout=WAKE_TIMEOUT)

    assert not waiting.done()
    assert not await guard.is_revoked(kept.session_id)
    waiting.cancel()


async def _revoked_in(guard: SessionGuard, session_id: uuid.UUID) -> None:
    await guard.wait_revoked(session_id, timeout=POLL_SECONDS)


async def _revoke_behind_the_guards_back(runtime: Runtime, session_id: uuid.UUID) -> None:
    """A revocation that wrote no event (as one made before this version did)."""
    async with runtime.db.session() as session:
        await run(
            session,
            sa.text("UPDATE auth_session SET revoked_at = :now WHERE id = :id"),
            {"now": datetime.now(UTC), "id": session_id},
        )
        await session.commit()


async def test_after_a_gap_in_the_feed_the_guard_asks_the_database_again(
    runtime: Runtime, brokers: Brokers, guard: SessionGuard
) -> None:
    # given: an alive answer held while the feed is live
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    issued = await sign_in_as(runtime, customer)
    assert not await guard.is_revoked(issued.session_id)
    await _revoke_behind_the_guards_back(runtime, issued.session_id)
    assert not await guard.is_revoked(issued.session_id)  # held: nothing told the guard

    # when: live delivery reports a gap (revocations may have been missed)
    brokers.listener.fanout.signal_gap()
    await asyncio.sleep(0.05)

    # then: the guard asks the database, and finds the revocation
    assert await guard.is_revoked(issued.session_id)


async def test_a_guard_that_is_not_listening_asks_the_database_every_time(runtime: Runtime) -> None:
    guard = SessionGuard(runtime.db, runtime.clock)  # as in a command-line task: no feed
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    issued = await sign_in_as(runtime, customer)
    assert not await guard.is_revoked(issued.session_id)

    await _revoke_behind_the_guards_back(runtime, issued.session_id)

    assert not guard.trusted
    assert await guard.is_revoked(issued.session_id)


async def test_a_guard_whose_redis_is_gone_asks_the_database(runtime: Runtime, redis_url: str) -> None:
    # given: a guard listening through Redis, holding an alive answer
    client = aioredis.from_url(redis_url)
    broker = RedisBroker(client, channel=f"lk:test:{uuid.uuid4().hex}")
    await broker.start()
    guard = SessionGuard(runtime.db, runtime.clock)
    await guard.start(broker)
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    issued = await sign_in_as(runtime, customer)
    assert not await guard.is_revoked(issued.session_id)

    # when: the broker's connection is gone (stopped here) and the session is revoked without it hearing
    await broker.stop()
    await _revoke_behind_the_guards_back(runtime, issued.session_id)

    # then
    try:
        assert not guard.trusted
        assert await guard.is_revoked(issued.session_id)
    finally:
        await guard.stop()
        await client.aclose()

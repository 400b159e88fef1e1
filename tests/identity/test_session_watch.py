"""The guard's watches (services/identity/guard.py `watch`): what a socket holds for its token instead of a task of its
own (issue 15: memory per socket). Ended once, by a revocation or the deadline; a failed check is reported and the
watch stays until a later check ends it; a closed socket's watch is gone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col

from models.identity import AuthSession
from services.identity.guard import SessionGuard
from services.platform.clock import FrozenClock
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.identity.test_websocket_auth import FailingOnceDatabase
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import sign_in_as

WAKE_TIMEOUT = 5.0


class Ends:
    def __init__(self) -> None:
        self.ended: list[bool] = []
        self.errors: list[Exception] = []
        self.once = asyncio.Event()

    def on_end(self, revoked: bool) -> None:
        self.ended.append(revoked)
        self.once.set()

    def on_error(self, error: Exception) -> None:
        self.errors.append(error)


async def test_a_revocation_ends_the_watch_once(runtime: Runtime, clock: FrozenClock) -> None:
    guard = SessionGuard(runtime.db, clock)
    issued = await sign_in_as(runtime, await create_customer(runtime.db, now=clock.now()))
    ends = Ends()
    watch = guard.watch(issued.session_id, 3600, on_end=ends.on_end, on_error=ends.on_error)

    guard.note_revoked([issued.session_id])
    guard.note_revoked([issued.session_id])

    assert ends.ended == [True]
    assert not watch.active
    await guard.stop()


async def test_the_deadline_by_the_injected_clock_ends_the_watch(runtime: Runtime, clock: FrozenClock) -> None:
    guard = SessionGuard(runtime.db, clock, poll_seconds=0.02)
    issued = await sign_in_as(runtime, await create_customer(runtime.db, now=clock.now()))
    ends = Ends()
    guard.watch(issued.session_id, 60, on_end=ends.on_end, on_error=ends.on_error)
    await asyncio.sleep(0.1)
    assert ends.ended == []

    clock.advance(timedelta(seconds=61))

    await asyncio.wait_for(ends.once.wait(), timeout=WAKE_TIMEOUT)
    assert ends.ended == [False]
    await guard.stop()


async def test_a_failed_check_is_reported_and_the_next_one_ends_the_watch(runtime: Runtime, clock: FrozenClock) -> None:
    # given: a guard that is not listening (it checks the database every tick), the first check failing
    failing = FailingOnceDatabase(runtime.db)
    guard = SessionGuard(failing, clock, poll_seconds=0.02)
    issued = await sign_in_as(runtime, await create_customer(runtime.db, now=clock.now()))
    async with runtime.db.session() as session:
        await run(
            session,
            sa.update(AuthSession).where(col(AuthSession.id) == issued.session_id).values(revoked_at=clock.now()),
        )
        await session.commit()
    ends = Ends()
    try:
        failing.fail_next = True
        watch = guard.watch(issued.session_id, 3600, on_end=ends.on_end, on_error=ends.on_error)

        # then: the failure is reported to the watch, which stays until the next check finds the revocation
        await asyncio.wait_for(ends.once.wait(), timeout=WAKE_TIMEOUT)
    finally:
        await guard.stop()
        await failing.unreachable.dispose()
    assert len(ends.errors) == 1
    assert ends.ended == [True]
    assert not watch.active


async def test_a_closed_sockets_watch_is_gone(gql: GraphQLClient, runtime: Runtime, clock: FrozenClock) -> None:
    guard = runtime.session_guard
    issued = await sign_in_as(runtime, await create_customer(runtime.db, now=clock.now()))

    async with gql.websocket(token=issued.access_token):
        watched_while_open = issued.session_id in guard._waiters
    await asyncio.sleep(0.05)

    assert watched_while_open
    assert issued.session_id not in guard._waiters

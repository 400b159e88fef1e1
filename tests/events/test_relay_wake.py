"""The outbox relay runs when a transaction that wrote events commits (PostgreSQL NOTIFY), not at its idle poll: a
sign-out through one app reaches another app's session guard (two apps sharing PostgreSQL and Redis, as two processes
do) though both relays' polls are a minute long. The relay's listening connection comes back when PostgreSQL ends it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
import redis.asyncio as aioredis
import sqlalchemy as sa
from starlette.types import ASGIApp

from server import BACKGROUND, create_app
from services.events.broker import RedisBroker
from services.identity.guard import SessionGuard
from services.platform.background import Background, Job
from services.platform.clock import SystemClock
from services.platform.database import Database, run
from services.platform.listener import APPLICATION_NAME, PostgresListener
from services.platform.runtime import Runtime
from services.platform.settings import Settings
from tests.support.factories import create_customer
from tests.support.identity import ME, sign_in_as
from tests.support.processes import committed_database

SLOW_POLL = 60.0  # both relays' polls, listening or not: only a notification can publish within the test
ARRIVAL_BOUND = 15.0  # generous for a loaded machine; without the notification nothing arrives before SLOW_POLL
SIGN_OUT = "mutation($input: SignOutInput!) { signOut(input: $input) { errors { code } } }"


def _slow_relay() -> Job:
    relay = next(job for job in BACKGROUND.jobs if job.name == "outbox-relay")
    return dataclasses.replace(relay, idle_seconds=SLOW_POLL, woken_idle_seconds=SLOW_POLL)


@dataclass
class Process:
    runtime: Runtime
    app: ASGIApp
    http: httpx.AsyncClient

    async def graphql(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        return response.json()


@asynccontextmanager
async def _process(url: str, redis_url: str, channel: str, tmp_path: Path) -> AsyncIterator[Process]:
    """One app with its own pool, Redis client, broker and guard, running the relay job only."""
    db = Database.from_url(url, pool_size=2)
    client = aioredis.from_url(redis_url)
    settings = Settings(database_url=url, redis_url=redis_url, data_dir=tmp_path, cost_budget=False)
    clock = SystemClock()
    runtime = Runtime(
        settings=settings,
        db=db,
        clock=clock,
        redis=client,
        broker=RedisBroker(client, channel=channel),
        session_guard=SessionGuard(db, clock, poll_seconds=3600),  # a revocation's event alone wakes a socket
    )
    background = Background(startup=BACKGROUND.startup, shutdown=BACKGROUND.shutdown, jobs=[_slow_relay()])
    tasks = await background.start(runtime)
    app = create_app(runtime, run_background=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            yield Process(runtime, app, http)
    finally:
        await background.stop(runtime, tasks)
        await client.aclose()
        await db.dispose()


@pytest_asyncio.fixture
async def two_processes(server_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[tuple[Process, Process]]:
    channel = f"lk:test:{uuid.uuid4().hex}"
    async with committed_database(server_url) as db:
        url = db.engine.url.render_as_string(hide_password=False)
        async with (
            _process(url, redis_url, channel, tmp_path / "0") as first,
            _process(url, redis_url, channel, tmp_path / "1") as second,
        ):
            await _listening(db, count=2)
            yield first, second


async def _listener_pids(db: Database) -> set[int]:
    async with db.session() as session:
        rows = await run(
            session,
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = :name"),
            {"name": APPLICATION_NAME},
        )
        return {row.pid for row in rows}


async def _listening(db: Database, *, count: int, besides: Collection[int] = ()) -> set[int]:
    """Wait (bounded) until `count` listening connections other than `besides` are open."""
    async with asyncio.timeout(ARRIVAL_BOUND):
        while len(pids := await _listener_pids(db) - set(besides)) < count:  # noqa: ASYNC110 - polled
            await asyncio.sleep(0.05)
    return pids


async def _sign_out_reaches_the_other_guard(first: Process, second: Process) -> tuple[Any, Any, Any]:
    customer = await create_customer(first.runtime.db, now=first.runtime.clock.now())
    issued = await sign_in_as(first.runtime, customer)
    before = await second.graphql(ME, token=issued.access_token)  # the other process holds an "alive" answer
    waiting = asyncio.create_task(second.runtime.session_guard.wait_revoked(issued.session_id, timeout=3600))

    signed_out = await first.graphql(SIGN_OUT, {"input": {"refreshToken": issued.refresh_token}})
    await asyncio.wait_for(waiting, timeout=ARRIVAL_BOUND)

    after = await second.graphql(ME, token=issued.access_token)
    assert before["data"]["me"]["phone"] == customer.phone
    return before, signed_out, after


async def test_a_sign_out_reaches_another_process_without_waiting_for_the_poll(
    two_processes: tuple[Process, Process],
) -> None:
    first, second = two_processes

    _, signed_out, after = await _sign_out_reaches_the_other_guard(first, second)

    assert signed_out["data"]["signOut"]["errors"] == []
    assert after["data"]["me"] is None


async def test_the_listening_connection_comes_back_after_postgresql_ends_it(
    two_processes: tuple[Process, Process],
) -> None:
    # given: both relays' listening connections ended by PostgreSQL
    first, second = two_processes
    ended = await _listener_pids(first.runtime.db)
    async with first.runtime.db.session() as session:
        await run(session, sa.text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"),
                  {"pids": list(ended)})  # fmt: skip

    # when: they reconnect
    await _listening(first.runtime.db, count=2, besides=ended)

    # then: a sign-out is published at its commit again
    _, signed_out, after = await _sign_out_reaches_the_other_guard(first, second)
    assert signed_out["data"]["signOut"]["errors"] == []
    assert after["data"]["me"] is None


async def test_a_listener_reconnects_and_hears_notifications_again(server_url: str) -> None:
    async with committed_database(server_url) as db:
        dsn = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        listener = PostgresListener(dsn, "lk_test_channel")
        await listener.start()
        try:
            async with asyncio.timeout(ARRIVAL_BOUND):
                while not listener.live:  # noqa: ASYNC110 - polled
                    await asyncio.sleep(0.02)
            first_pid = listener.backend_pid
            listener.clear()
            async with db.session() as session:
                await run(session, sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
            async with asyncio.timeout(ARRIVAL_BOUND):
                while listener.backend_pid in (None, first_pid):  # noqa: ASYNC110 - polled
                    await asyncio.sleep(0.02)
            reconnect_woke = listener.woken  # a reconnection wakes the job once
            listener.clear()

            async with db.session() as session:
                await run(session, sa.text("SELECT pg_notify('lk_test_channel', '')"))
                await session.commit()
            await listener.wait(ARRIVAL_BOUND)
            heard = listener.woken
        finally:
            await listener.stop()

    assert reconnect_woke
    assert heard
    assert not listener.live

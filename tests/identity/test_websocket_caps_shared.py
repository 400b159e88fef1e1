"""Websocket caps hold across processes (issue 13): with WORKERS=2 a token must not get twice the caps. Two apps
sharing Redis stand for two processes; the slots of a process that dies without closing lapse with their lease; while
Redis is away each process counts its own sockets."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from structlog.testing import capture_logs

from schema.core.ws_caps import (
    CLOSE_TOO_MANY,
    MAX_CONNECTIONS_PER_TOKEN,
    MAX_SUBSCRIPTIONS_PER_CONNECTION,
    MAX_SUBSCRIPTIONS_PER_TOKEN,
    TooManyConnections,
    WebSocketCaps,
)
from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase
from services.platform.runtime import Runtime
from services.platform.settings import Settings
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient, Subscriber
from tests.support.identity import sign_in_as, token_for
from tests.support.processes import free_port

SUBSCRIPTION = "subscription { readingStatusChanged { eventId } }"
LAPSE_BOUND = 15.0  # generous for a loaded machine


@pytest_asyncio.fixture
async def apps(
    db: TransactionalDatabase, clock: FrozenClock, redis_url: str, tmp_path: Path
) -> AsyncIterator[tuple[GraphQLClient, GraphQLClient]]:
    """Two apps (as two processes) on the test's database, each with its own Redis client."""
    from server import create_app, start_background, stop_background

    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for index in range(2):
            redis = aioredis.from_url(redis_url)
            stack.push_async_callback(redis.aclose)
            settings = Settings(database_url="postgresql://unused", data_dir=tmp_path / str(index))
            runtime = Runtime(settings=settings, db=db, clock=clock, redis=redis)
            app = create_app(runtime, run_background=False)
            tasks = await start_background(runtime, serve_jobs=False)
            stack.push_async_callback(stop_background, runtime, tasks)
            http = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
            )
            clients.append(GraphQLClient(http, app=app))
        yield clients[0], clients[1]


async def _refused(socket: Subscriber, token: str) -> int:
    await socket.ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    return await socket.close_code()


async def _accepted(socket: Subscriber) -> bool:
    """Whether the socket's last subscribe was taken: a refusal would come before the pong."""
    await socket.ws.send_json({"type": "ping"})
    answer: dict[str, Any] = await socket.receive()
    return bool(answer["type"] == "pong")


async def test_the_sockets_of_one_token_are_capped_across_processes(
    apps: tuple[GraphQLClient, GraphQLClient], runtime: Runtime, clock: FrozenClock, redis_url: str
) -> None:
    first, second = apps
    issued = await sign_in_as(runtime, await create_customer(runtime.db, now=clock.now()))
    token = issued.access_token

    # (anyio's websocket transports must be left in the reverse order they were entered)
    async with contextlib.AsyncExitStack() as stack:
        # given: the cap of sockets on the two processes, the last one on the first
        acks = []
        for index in range(MAX_CONNECTIONS_PER_TOKEN - 1):
            socket = await stack.enter_async_context(apps[index % 2].websocket(init=False))
            acks.append((await socket.init(token=token))["type"])
        async with first.websocket(init=False) as last:
            acks.append((await last.init(token=token))["type"])

            # when: one more on either process
            async with contextlib.AsyncExitStack() as refusals:
                refused = [
                    await _refused(await refusals.enter_async_context(app.websocket(init=False)), token) for app in apps
                ]

        # then: refused with 4429; the socket closed on the first process frees a slot on the second
        await _slots_below(redis_url, f"lk:ws:connections:{issued.session_id}", MAX_CONNECTIONS_PER_TOKEN)
        again = await stack.enter_async_context(second.websocket(init=False))
        reopened = (await again.init(token=token))["type"]

    assert acks == ["connection_ack"] * MAX_CONNECTIONS_PER_TOKEN
    assert refused == [CLOSE_TOO_MANY, CLOSE_TOO_MANY]
    assert reopened == "connection_ack"


async def _slots_below(redis_url: str, set_key: str, count: int) -> None:
    """Wait (bounded) until the server's end of a closed socket has given its slot back."""
    async with aioredis.from_url(redis_url) as redis, asyncio.timeout(LAPSE_BOUND):
        while await redis.zcard(set_key) >= count:  # noqa: ASYNC110 - another task releases it
            await asyncio.sleep(0.02)


async def test_the_subscriptions_of_one_token_are_capped_across_processes(
    apps: tuple[GraphQLClient, GraphQLClient], runtime: Runtime, clock: FrozenClock
) -> None:
    first, second = apps
    token = await token_for(runtime, await create_customer(runtime.db, now=clock.now()))
    half = MAX_SUBSCRIPTIONS_PER_TOKEN // 2  # 25 per process: 20 on one socket (its own cap) and 5 on another
    counts = [MAX_SUBSCRIPTIONS_PER_CONNECTION, half - MAX_SUBSCRIPTIONS_PER_CONNECTION] * 2

    async with contextlib.AsyncExitStack() as stack:
        # given: the token's cap of subscriptions, half on each process (no socket over its own cap)
        operations: dict[int, list[str]] = {}
        sockets = []
        for index, app in enumerate((first, first, second, second)):
            socket = await stack.enter_async_context(app.websocket(token=token))
            sockets.append(socket)
            operations[index] = [await socket.subscribe(SUBSCRIPTION) for _ in range(counts[index])]
        taken = [await _accepted(socket) for socket in sockets]

        # when: one more on the second process
        await sockets[3].subscribe(SUBSCRIPTION)
        refusal = await sockets[3].receive()

        # then: refused; a subscription completed on the first process frees a slot on the second
        await sockets[1].ws.send_json({"id": operations[1][0], "type": "complete"})
        await _accepted(sockets[1])  # the completion is handled
        await sockets[3].subscribe(SUBSCRIPTION)
        freed = await _accepted(sockets[3])

    assert sum(len(ids) for ids in operations.values()) == MAX_SUBSCRIPTIONS_PER_TOKEN
    assert taken == [True] * 4
    assert refusal["type"] == "error"
    assert refusal["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
    assert freed


async def test_the_slots_of_a_process_that_stopped_renewing_lapse(redis_url: str) -> None:
    key = f"test:{uuid.uuid4().hex}"
    async with aioredis.from_url(redis_url) as first_redis, aioredis.from_url(redis_url) as second_redis:
        # given: a process holds the cap of sockets, then dies (it renews nothing any more)
        dead = WebSocketCaps(first_redis, lease_seconds=1.0, renew_seconds=3600)
        for _ in range(MAX_CONNECTIONS_PER_TOKEN):
            await dead.open(key)
        alive = WebSocketCaps(second_redis)
        with pytest.raises(TooManyConnections):
            await alive.open(key)

        # when / then: its leases lapse, and the other process takes a slot
        async with asyncio.timeout(LAPSE_BOUND):
            while True:
                with contextlib.suppress(TooManyConnections):
                    slot = await alive.open(key)
                    break
                await asyncio.sleep(0.1)
        await alive.release(slot)

    assert slot.shared


async def test_a_process_that_renews_keeps_its_slots(redis_url: str) -> None:
    key = f"test:{uuid.uuid4().hex}"
    async with aioredis.from_url(redis_url) as first_redis, aioredis.from_url(redis_url) as second_redis:
        holder = WebSocketCaps(first_redis, lease_seconds=2.0, renew_seconds=0.2)
        slots = [await holder.open(key) for _ in range(MAX_CONNECTIONS_PER_TOKEN)]
        other = WebSocketCaps(second_redis)

        await asyncio.sleep(3.0)  # longer than a lease: only the renewals keep the slots
        with pytest.raises(TooManyConnections):
            await other.open(key)

        for slot in slots:
            await holder.release(slot)
        freed = await other.open(key)
        await other.release(freed)


async def test_while_redis_is_away_each_process_counts_its_own_sockets() -> None:
    redis = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    caps = WebSocketCaps(redis)
    try:
        with capture_logs() as logs:
            slots = [await caps.open("session") for _ in range(MAX_CONNECTIONS_PER_TOKEN)]
            with pytest.raises(TooManyConnections):
                await caps.open("session")
            await caps.release(slots[0])
            again = await caps.open("session")
    finally:
        await redis.aclose()

    assert not any(slot.shared for slot in [*slots, again])
    assert [entry["event"] for entry in logs] == ["websocket caps counted per process: Redis unreachable"]

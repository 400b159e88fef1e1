"""Appeals across real server processes sharing PostgreSQL and Redis: a reply posted to one process reaches a
customer subscribed on another, and none is lost while Redis restarts.

The processes see only committed data, so these tests arrange it on `servers.runtime` (a database of their own).
The Redis restart runs against a private `redis-server` started here: the machine's shared Redis is never touched.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from httpx_ws import aconnect_ws

from models.enums import Role
from services.events.stream import latest_position
from services.platform.clock import FrozenClock
from tests.support.appeals import MESSAGE_ADDED, POST_MESSAGE, appeal_gid, open_appeal
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GRAPHQL_TRANSPORT_WS, Subscriber
from tests.support.identity import token_for
from tests.support.objects import count_where
from tests.support.processes import ServerProcesses, free_port, server_processes


class Chat:
    """An appeal on the servers' database, its customer subscribed on process 0, its operator posting to process 1."""

    def __init__(self, servers: ServerProcesses, http: httpx.AsyncClient) -> None:
        self.servers = servers
        self.http = http
        self.appeal_id = ""
        self.customer_token = ""
        self.operator_token = ""

    async def open(self) -> None:
        runtime = self.servers.runtime
        now = runtime.clock.now()
        customer = await create_customer(runtime.db, now=now)
        operator = await create_customer(runtime.db, now=now, role=Role.OPERATOR)
        account, _ = await create_account(runtime.db, now=now, owner=customer)
        posted = await open_appeal(runtime, customer, account)
        self.appeal_id = appeal_gid(posted.appeal.id)
        self.customer_token = await token_for(runtime, customer)
        self.operator_token = await token_for(runtime, operator)

    async def published_position(self) -> int:
        """The outbox's end once the servers' relay has published everything committed so far."""
        for _ in range(200):
            if not await count_where(self.servers.runtime, "outbox_event", "published_at IS NULL"):
                return await latest_position(self.servers.runtime.db)
            await asyncio.sleep(0.05)  # another process's relay: nothing here to wait on but the table
        raise TimeoutError("the servers did not publish the outbox")

    @asynccontextmanager
    async def subscribed(self) -> AsyncIterator[Subscriber]:
        """Subscribed on process 0 from the outbox's current end: whatever is posted next is delivered."""
        after = str(await self.published_position())
        async with aconnect_ws(  # type: ignore[var-annotated]
            self.servers.graphql_url(0), self.http, subprotocols=[GRAPHQL_TRANSPORT_WS]
        ) as ws:
            socket = Subscriber(ws)
            assert (await socket.init(token=self.customer_token))["type"] == "connection_ack"
            await socket.subscribe(MESSAGE_ADDED, {"appealId": self.appeal_id, "after": after})
            yield socket

    async def reply(self, text: str) -> dict[str, Any]:
        """The operator answers through process 1."""
        response = await self.http.post(
            self.servers.graphql_url(1),
            json={"query": POST_MESSAGE, "variables": {"input": {"appealId": self.appeal_id, "text": text}}},
            headers={"Authorization": f"Bearer {self.operator_token}"},
        )
        payload: dict[str, Any] = response.json()["data"]["postAppealMessage"]
        assert payload["errors"] == [], payload
        return payload


async def test_a_reply_posted_to_one_process_reaches_a_customer_subscribed_on_another(
    server_url: str, redis_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    async with (
        server_processes(server_url=server_url, redis_url=redis_url, clock=clock, tmp_path=tmp_path) as servers,
        httpx.AsyncClient() as http,
    ):
        chat = Chat(servers, http)
        await chat.open()
        async with chat.subscribed() as socket:
            posted = await chat.reply("Здравствуйте! Проверим.")
            pushed = (await socket.next_data(timeout=1))["appealMessageAdded"]

    assert pushed["message"]["id"] == posted["message"]["id"]
    assert pushed["appeal"]["status"] == "ANSWERED"


@contextmanager
def private_redis(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A throwaway redis-server (no persistence) on `port`; stopped at the end."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: the Redis restart test needs a private server to restart")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port, socket_connect_timeout=0.5)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None:
                    raise RuntimeError("redis-server exited") from None
                time.sleep(0.05)
        client.close()
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_no_message_is_lost_while_redis_restarts(server_url: str, tmp_path: Path, clock: FrozenClock) -> None:
    port = free_port()
    with private_redis(port) as first_redis:
        redis_url = f"redis://127.0.0.1:{port}/0"
        async with (
            server_processes(server_url=server_url, redis_url=redis_url, clock=clock, tmp_path=tmp_path) as servers,
            httpx.AsyncClient(timeout=10) as http,
        ):
            chat = Chat(servers, http)
            await chat.open()
            async with chat.subscribed() as socket:
                await chat.reply("До перезапуска")
                before = (await socket.next_data(timeout=5))["appealMessageAdded"]

                first_redis.terminate()
                first_redis.wait(timeout=10)
                await chat.reply("Пока Redis лежит")  # committed with its event; publishing fails and is retried
                await asyncio.sleep(0.5)  # the relay tries (and fails) to publish meanwhile
                assert await count_where(servers.runtime, "outbox_event", "published_at IS NULL") == 1

                with private_redis(port):
                    after_restart = (await socket.next_data(timeout=15))["appealMessageAdded"]
                    await chat.reply("После перезапуска")
                    live = (await socket.next_data(timeout=15))["appealMessageAdded"]

    texts = [event["message"]["text"] for event in (before, after_restart, live)]
    assert texts == ["До перезапуска", "Пока Redis лежит", "После перезапуска"]

"""Across real server processes sharing PostgreSQL and Redis: a reading submitted to one process is processed by
the servers' own background processor, and both status changes reach the customer subscribed on the other.

The processes run on the real date, so the billing period is not asserted here (see test_window.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from httpx_ws import aconnect_ws

from services.events.stream import latest_position
from services.platform.clock import FrozenClock
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GRAPHQL_TRANSPORT_WS, Subscriber
from tests.support.identity import token_for
from tests.support.objects import count_where
from tests.support.processes import ServerProcesses, server_processes
from tests.support.readings import STATUS_CHANGED, SUBMIT, submit_input


async def published_position(servers: ServerProcesses) -> int:
    """The outbox's end once the servers' relay has published everything committed so far."""
    async with asyncio.timeout(10):
        # Another process publishes: nothing here to wait on but the table.
        while await count_where(servers.runtime, "outbox_event", "published_at IS NULL"):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return await latest_position(servers.runtime.db)


async def test_a_reading_sent_to_one_process_is_pushed_from_another(
    server_url: str, redis_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    async with (
        server_processes(server_url=server_url, redis_url=redis_url, clock=clock, tmp_path=tmp_path) as servers,
        httpx.AsyncClient(timeout=10) as http,
    ):
        # given: a customer subscribed on process 0
        runtime = servers.runtime
        owner = await create_customer(runtime.db, now=runtime.clock.now())
        _, meter = await create_account(runtime.db, now=runtime.clock.now(), owner=owner)
        token = await token_for(runtime, owner)
        after = str(await published_position(servers))
        async with aconnect_ws(  # type: ignore[var-annotated]
            servers.graphql_url(0), http, subprotocols=[GRAPHQL_TRANSPORT_WS]
        ) as ws:
            socket = Subscriber(ws)
            assert (await socket.init(token=token))["type"] == "connection_ack"
            await socket.subscribe(STATUS_CHANGED, {"after": after})

            # when: the reading is sent to process 1
            response = await http.post(
                servers.graphql_url(1),
                json={"query": SUBMIT, "variables": submit_input(meter, {"SINGLE": "120"})},
                headers={"Authorization": f"Bearer {token}"},
            )
            sent: dict[str, Any] = response.json()["data"]["submitReadings"]

            # then: the servers' processor handles it, and both changes arrive on process 0
            received = (await socket.next_data(timeout=10))["readingStatusChanged"]
            processed = (await socket.next_data(timeout=10))["readingStatusChanged"]

    assert sent["errors"] == []
    assert [(change["oldStatus"], change["newStatus"]) for change in (received, processed)] == [
        (None, "RECEIVED"),
        ("RECEIVED", "PROCESSED"),
    ]
    assert received["submission"]["id"] == processed["submission"]["id"] == sent["submission"]["id"]

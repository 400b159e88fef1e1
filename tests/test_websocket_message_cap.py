"""The websocket message cap (issue 13) end to end, against a real server process: uvicorn's `ws_max_size`, which the
ASGI test transport does not exercise. A message just over `WS_MAX_MESSAGE_BYTES` closes the socket with 1009
("message too big"); one just under it is served."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from httpx_ws import WebSocketDisconnect, aconnect_ws

from services.platform.bootstrap import WS_MAX_MESSAGE_BYTES
from services.platform.clock import FrozenClock
from tests.support.graphql import GRAPHQL_TRANSPORT_WS, Subscriber
from tests.support.processes import server_processes

MESSAGE_TOO_BIG = 1009


def padded(message: dict[str, Any], size: int) -> str:
    """`message` as JSON text of exactly `size` bytes (JSON whitespace before its closing brace)."""
    text = json.dumps(message)
    return text[:-1] + " " * (size - len(text.encode())) + "}"


async def test_a_message_over_the_cap_closes_the_socket_and_one_under_it_is_served(
    server_url: str, redis_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    query = {"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}}
    under, over = padded(query, WS_MAX_MESSAGE_BYTES - 1), padded(query, WS_MAX_MESSAGE_BYTES + 1)
    async with (
        server_processes(server_url=server_url, redis_url=redis_url, clock=clock, tmp_path=tmp_path, count=1) as server,
        httpx.AsyncClient(timeout=30) as http,
        aconnect_ws(server.graphql_url(0), http, subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws,  # type: ignore[var-annotated]
    ):
        socket = Subscriber(ws)
        assert (await socket.init(token=None))["type"] == "connection_ack"
        await ws.send_text(under)
        served = await socket.receive(timeout=30)

        await ws.send_text(over)
        try:
            while True:
                await socket.receive(timeout=30)
        except WebSocketDisconnect as closed:
            code = closed.code

    assert len(under.encode()) == WS_MAX_MESSAGE_BYTES - 1
    assert served["type"] == "next"
    assert served["payload"]["data"] == {"__typename": "Query"}
    assert code == MESSAGE_TOO_BIG

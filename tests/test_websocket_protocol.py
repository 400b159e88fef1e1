"""The server's websocket protocol (services/platform/websocket_protocol.py, issue 15): uvicorn's websockets-sansio,
which forgets the handshake's request and response once the socket is accepted, and works as before."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from websockets.asyncio.client import connect

from services.platform.bootstrap import uvicorn_options
from services.platform.settings import Settings
from services.platform.websocket_protocol import LeanWebSocketsSansIOProtocol
from tests.support.processes import free_port


async def _echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accepts a websocket and answers each text message with the same text."""
    assert scope["type"] == "websocket"
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": message["text"]})


@contextlib.asynccontextmanager
async def _serving(port: int) -> AsyncIterator[uvicorn.Server]:
    options = uvicorn_options(Settings(_env_file=None))
    config = uvicorn.Config(
        _echo, host="127.0.0.1", port=port, ws=str(options["ws"]), lifespan="off", log_config=None, loop="asyncio"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - polled
            await asyncio.sleep(0.02)
        yield server
    finally:
        server.should_exit = True
        await serving


async def test_an_accepted_socket_keeps_no_handshake_and_still_talks() -> None:
    port = free_port()
    async with _serving(port) as server, connect(f"ws://127.0.0.1:{port}/") as ws:
        await ws.send("hello")
        answer = await asyncio.wait_for(ws.recv(), timeout=5)
        (protocol,) = (each for each in server.server_state.connections)

    assert answer == "hello"
    assert isinstance(protocol, LeanWebSocketsSansIOProtocol)
    assert protocol.request is None
    assert protocol.response is None

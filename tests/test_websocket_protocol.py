"""The server's websocket protocol (services/platform/websocket_protocol.py, issue 15): uvicorn's websockets-sansio,
which forgets the handshake's request and response once the socket is accepted, with a lean inbox and writable flag,
and works as before."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from websockets.asyncio.client import connect

from services.platform.bootstrap import uvicorn_options
from services.platform.settings import Settings
from services.platform.websocket_protocol import Inbox, LeanWebSocketsSansIOProtocol, Writable
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
async def _serving(port: int, **keepalive: float) -> AsyncIterator[uvicorn.Server]:
    options = uvicorn_options(Settings(_env_file=None))
    config = uvicorn.Config(
        _echo,
        host="127.0.0.1",
        port=port,
        ws=str(options["ws"]),
        lifespan="off",
        log_config=None,
        loop="asyncio",
        **keepalive,  # type: ignore[arg-type]
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
        answers = []
        for text in ("hello", "again", "and again"):
            await ws.send(text)
            answers.append(await asyncio.wait_for(ws.recv(), timeout=5))
        (protocol,) = (each for each in server.server_state.connections)

    assert answers == ["hello", "again", "and again"]
    assert isinstance(protocol, LeanWebSocketsSansIOProtocol)
    assert isinstance(protocol.queue, Inbox)
    assert protocol.request is None
    assert protocol.response is None
    assert "request" not in (protocol.conn.parser.gi_frame.f_locals or {})  # a parser of frames alone
    # Everything uvicorn set on it is in slots: no dictionary per socket (a newer uvicorn's attribute would be here).
    assert vars(protocol) == {}


async def test_the_inbox_hands_out_in_order_and_wakes_each_waiting_reader() -> None:
    inbox: Inbox[int] = Inbox()
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert [await inbox.get(), await inbox.get()] == [1, 2]
    assert inbox.empty()

    cancelled = asyncio.ensure_future(inbox.get())
    first, second = asyncio.ensure_future(inbox.get()), asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    cancelled.cancel()  # a reader that goes away does not take the others with it
    await asyncio.sleep(0)
    inbox.put_nowait(3)
    inbox.put_nowait(4)
    assert sorted(await asyncio.wait_for(asyncio.gather(first, second), timeout=5)) == [3, 4]
    assert cancelled.cancelled()


async def test_a_writer_waits_while_the_socket_is_not_writable() -> None:
    writable = Writable()
    writable.set()
    await asyncio.wait_for(writable.wait(), timeout=5)

    writable.clear()
    waiting = asyncio.ensure_future(writable.wait())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    assert not writable.is_set()
    writable.set()
    await asyncio.wait_for(waiting, timeout=5)


async def test_every_socket_is_pinged_and_its_pongs_keep_it_open() -> None:
    port = free_port()
    async with (
        _serving(port, ws_ping_interval=1.0, ws_ping_timeout=1.0) as server,
        connect(f"ws://127.0.0.1:{port}/") as first,
        connect(f"ws://127.0.0.1:{port}/") as second,
    ):
        protocols = list(server.server_state.connections)
        first_pings = {id(each): 0.0 for each in protocols}
        answered: set[int] = set()
        async with asyncio.timeout(15):
            while len(answered) < len(protocols):  # each socket pinged at least twice, each time answered
                await asyncio.sleep(0.1)
                for each in protocols:
                    assert isinstance(each, LeanWebSocketsSansIOProtocol)
                    if each.ping_sent_at and not first_pings[id(each)]:
                        first_pings[id(each)] = each.ping_sent_at
                    elif each.ping_sent_at > first_pings[id(each)] > 0 and each.pending_ping_payload is None:
                        answered.add(id(each))
        for ws in (first, second):  # the client's pongs (websockets answers pings itself) kept both open
            await ws.send("still here")
            assert await asyncio.wait_for(ws.recv(), timeout=5) == "still here"
    assert len(protocols) == 2


async def test_a_socket_that_does_not_answer_its_ping_is_closed() -> None:
    port = free_port()
    async with _serving(port, ws_ping_interval=1.0, ws_ping_timeout=1.0):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        assert head.startswith(b"HTTP/1.1 101")
        # when: it reads what comes (the pings) and never answers
        async with asyncio.timeout(15):
            while await reader.read(1024):
                pass
        writer.close()
    # then: the server closed it (EOF above) after the ping's timeout

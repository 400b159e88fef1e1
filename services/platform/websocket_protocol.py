"""uvicorn's websockets-sansio protocol, leaner per socket (issue 15: 5,000 sockets in one process).

By tracemalloc, server A of bench/subscribers.py at 1,000 sockets, what uvicorn holds per socket beyond what it needs:
- the handshake's request and response (websockets' `Request` / `Response` and their `Headers`, about 5 KB), kept until
  the socket closes (by uvicorn, and the request by websockets' parser) though nothing reads them once the response
  has been sent (the app has its own copy of the headers in the ASGI scope): dropped after the handshake;
- an `asyncio.Queue` for the messages received (four deques and an Event, about 3 KB) and an `asyncio.Event` for
  "writable" (a deque, about 0.7 KB): replaced by `Inbox` and `Writable`, which hold a deque only while messages wait
  and a future only while someone waits.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Generic, TypeVar

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import OPEN, Protocol

T = TypeVar("T")


def _wake(waiters: list[asyncio.Future[None]] | None) -> None:
    for waiter in waiters or ():
        if not waiter.done():
            waiter.set_result(None)


async def _wait(waiters: list[asyncio.Future[None]]) -> None:
    """Wait on a future of one's own (a cancelled waiter must not cancel the others')."""
    waiter = asyncio.get_running_loop().create_future()
    waiters.append(waiter)
    try:
        await waiter
    finally:
        waiters.remove(waiter)


class Inbox(Generic[T]):
    """What uvicorn uses of `asyncio.Queue` (unbounded): `put_nowait`, `get`, `empty`."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: deque[T] | None = None
        self._waiters: list[asyncio.Future[None]] | None = None

    def put_nowait(self, item: T) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        _wake(self._waiters)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> T:
        while not self._items:
            if self._waiters is None:
                self._waiters = []
            await _wait(self._waiters)
            if not self._waiters:
                self._waiters = None
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item


class Writable:
    """What uvicorn uses of `asyncio.Event`: `set`, `clear`, `is_set`, `wait`."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def set(self) -> None:
        self._set = True
        _wake(self._waiters)

    def clear(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    async def wait(self) -> None:
        while not self._set:
            if self._waiters is None:
                self._waiters = []
            await _wait(self._waiters)
            if not self._waiters:
                self._waiters = None


class LeanWebSocketsSansIOProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        writable = Writable()
        writable.set()
        self.writable = writable  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and getattr(self, "response", None) is not None:
            # Sent (or refused): uvicorn reads them only before `handshake_complete`.
            self.request = self.response = None  # type: ignore[assignment]
            conn = self.conn
            if conn.state is OPEN and not conn.reader.buffer:
                # websockets' server parser keeps the request in its frame for as long as it reads frames: a parser of
                # frames alone takes over. Nothing has been read of a frame yet (a client sends none before it has
                # the handshake's answer, and the buffer is empty), so no byte is lost.
                conn.parser = Protocol.parse(conn)
                next(conn.parser)

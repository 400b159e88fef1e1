"""uvicorn's websockets-sansio protocol, leaner per socket (issue 15: 5,000 sockets in one process).

By tracemalloc, server A of bench/subscribers.py at 1,000 sockets, what uvicorn holds per socket beyond what it needs:
- the handshake's request and response (websockets' `Request` / `Response` and their `Headers`, about 5 KB), kept until
  the socket closes (by uvicorn, and the request by websockets' parser) though nothing reads them once the response
  has been sent (the app has its own copy of the headers in the ASGI scope): dropped after the handshake;
- an `asyncio.Queue` for the messages received (four deques and an Event, about 3 KB) and an `asyncio.Event` for
  "writable" (a deque, about 0.7 KB): replaced by `Inbox` and `Writable`, which hold a deque only while messages wait
  and a future only while someone waits;
- two timers per socket for its keep-alive ping (the next ping, then the pong's deadline): every socket's ping and
  pong deadline are kept by one `KeepaliveWheel` per event loop, which ticks once a second while any is due. 5,000
  sockets pinged every 20 s made 250 timer wake-ups a second, each for one ping (and its pong arriving alone); now the
  pings due in a second leave together. The pings themselves are as before: same interval, same timeout, each
  socket's own pong checked against its own payload.
"""

from __future__ import annotations

import asyncio
import math
import random
import struct
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


class KeepaliveWheel:
    """The keep-alive pings and pong deadlines of one event loop's sockets, on one timer ticking every second while
    any is due (none while no socket is open)."""

    RESOLUTION = 1.0

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._pings: dict[int, set[LeanWebSocketsSansIOProtocol]] = {}
        self._pongs: dict[int, set[LeanWebSocketsSansIOProtocol]] = {}
        self._timer: asyncio.TimerHandle | None = None

    def _slot(self, delay: float) -> int:
        """The tick at which something due `delay` seconds from now is done (never early)."""
        return math.ceil((self.loop.time() + delay) / self.RESOLUTION)

    def add_ping(self, protocol: LeanWebSocketsSansIOProtocol, delay: float) -> None:
        self.discard(protocol)
        protocol.ping_slot = slot = self._slot(delay)
        self._pings.setdefault(slot, set()).add(protocol)
        self._arm()

    def add_pong(self, protocol: LeanWebSocketsSansIOProtocol, timeout: float) -> None:
        protocol.pong_slot = slot = self._slot(timeout)
        self._pongs.setdefault(slot, set()).add(protocol)
        self._arm()

    def discard_pong(self, protocol: LeanWebSocketsSansIOProtocol) -> bool:
        """Forget the protocol's pong deadline; whether it had one."""
        slot, protocol.pong_slot = protocol.pong_slot, None
        waiting = self._pongs.get(slot) if slot is not None else None
        if waiting is None or protocol not in waiting:
            return False
        waiting.discard(protocol)
        if not waiting:
            del self._pongs[slot]  # type: ignore[arg-type]
        return True

    def discard(self, protocol: LeanWebSocketsSansIOProtocol) -> None:
        slot, protocol.ping_slot = protocol.ping_slot, None
        waiting = self._pings.get(slot) if slot is not None else None
        if waiting is not None:
            waiting.discard(protocol)
            if not waiting:
                del self._pings[slot]  # type: ignore[arg-type]

    def _arm(self) -> None:
        if self._timer is None:
            self._timer = self.loop.call_at(
                (math.floor(self.loop.time() / self.RESOLUTION) + 1) * self.RESOLUTION, self._tick
            )

    def _tick(self) -> None:
        self._timer = None
        now = math.floor(self.loop.time() / self.RESOLUTION + 0.01)  # a timer a few ms early still does its slot
        for slot in [slot for slot in self._pongs if slot <= now]:
            for protocol in self._pongs.pop(slot):
                protocol.pong_slot = None
                protocol.keepalive_timeout()
        for slot in [slot for slot in self._pings if slot <= now]:
            for protocol in self._pings.pop(slot):
                protocol.ping_slot = None
                protocol.send_keepalive_ping()
        if self._pings or self._pongs:
            self._arm()


_wheels: dict[asyncio.AbstractEventLoop, KeepaliveWheel] = {}


def keepalive_wheel(loop: asyncio.AbstractEventLoop) -> KeepaliveWheel:
    wheel = _wheels.get(loop)
    if wheel is None:
        for stale in [each for each in _wheels if each.is_closed()]:
            del _wheels[stale]
        wheel = _wheels[loop] = KeepaliveWheel(loop)
    return wheel


# What uvicorn's protocol sets on itself (websockets_sansio_impl.py), held in slots: 37 attributes are more than CPython
# shares keys for (30), so each socket had a dictionary of its own, about 1.6 KB (issue 15: memory per socket); in
# slots they take 8 bytes each and no dictionary is made. An attribute a newer uvicorn adds lands in an instance
# dictionary as before.
UVICORN_SLOTS = (
    "app",
    "app_state",
    "asgi_version",
    "client",
    "close_sent",
    "close_timeout",
    "close_timer",
    "config",
    "conn",
    "connections",
    "curr_msg_data_type",
    "default_headers",
    "disconnected",
    "frames",
    "handshake_complete",
    "handshake_initiated",
    "initial_response",
    "last_ping_rtt",
    "logger",
    "loop",
    "pending_ping_payload",
    "ping_interval",
    "ping_sent_at",
    "ping_timeout",
    "ping_timer",
    "pong_timer",
    "queue",
    "read_paused",
    "request",
    "response",
    "root_path",
    "scheme",
    "scope",
    "server",
    "tasks",
    "transport",
    "writable",
)


class LeanWebSocketsSansIOProtocol(WebSocketsSansIOProtocol):
    __slots__ = (*UVICORN_SLOTS, "ping_slot", "pong_slot")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.ping_slot: int | None = None
        self.pong_slot: int | None = None
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        writable = Writable()
        writable.set()
        self.writable = writable  # type: ignore[assignment]

    # Keep-alive: uvicorn's logic (websockets_sansio_impl.py), with the wheel's slots instead of a timer each.
    def schedule_ping(self) -> None:
        assert self.ping_interval is not None
        keepalive_wheel(self.loop).add_ping(self, max(0.0, self.ping_interval - self.last_ping_rtt))

    def send_keepalive_ping(self) -> None:
        if self.close_sent or self.transport.is_closing():
            return
        # A random payload identifies this ping: `handle_pong` ignores stale or unsolicited pongs.
        self.pending_ping_payload = struct.pack("!I", random.getrandbits(32))
        self.ping_sent_at = self.loop.time()
        self.conn.send_ping(self.pending_ping_payload)
        self.transport.write(b"".join(self.conn.data_to_send()))
        if self.ping_timeout is not None:
            keepalive_wheel(self.loop).add_pong(self, self.ping_timeout)
        else:
            self.schedule_ping()

    def handle_pong(self, event: Any) -> None:
        if self.pending_ping_payload is None or bytes(event.data) != self.pending_ping_payload:
            return
        self.last_ping_rtt = self.loop.time() - self.ping_sent_at
        self.pending_ping_payload = None
        # Answered in time: the next ping (with no timeout, `send_keepalive_ping` has scheduled it already).
        if keepalive_wheel(self.loop).discard_pong(self):
            self.schedule_ping()

    def stop_keepalive(self) -> None:
        super().stop_keepalive()
        wheel = _wheels.get(self.loop)
        if wheel is not None:
            wheel.discard(self)
            wheel.discard_pong(self)

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

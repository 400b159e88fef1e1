"""Caps on websockets (issue 13: one token opened 50 sockets × 100 subscriptions, all accepted, and stalled the
server). Counted across processes in Redis, so that WORKERS=2 does not double them:

- `MAX_CONNECTIONS_PER_TOKEN` sockets per session (per client address when anonymous): the next `connection_init`
  is closed with 4429, the protocol's "too many" code;
- `MAX_SUBSCRIPTIONS_PER_CONNECTION` operations per socket and `MAX_SUBSCRIPTIONS_PER_TOKEN` across a session's
  sockets: the next `subscribe` gets the protocol's `error` message with `extensions.code` TOO_MANY_SUBSCRIPTIONS;
- `connection_init` must come within `CONNECTION_INIT_TIMEOUT` (else 4408), and a message may be at most
  `MAX_MESSAGE_BYTES` (uvicorn's `ws_max_size`: a bigger frame closes the socket with 1009).

Each socket and subscription holds a slot: a member of a Redis set per key, named after the process holding it. The
lease is the process's, not the slot's: one entry of `OWNERS_KEY` (when its lease ends), renewed by one command every
`renew_seconds` however many sockets it holds (renewing 10,000 slots one by one stalled the process, issue 15). A
process that dies without closing its sockets stops renewing, and its slots lapse after `lease_seconds`: taking a slot
drops the slots of lapsed processes and checks the cap in one script. While Redis cannot be reached, each process
counts its own sockets (as before), and says so once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog
from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from schema.core.persisted import PersistedRefusal
from services.platform.bootstrap import WS_MAX_MESSAGE_BYTES
from services.platform.heap import keeper as heap_keeper
from services.platform.redis_errors import redis_errors

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = structlog.get_logger("websocket")

MAX_CONNECTIONS_PER_TOKEN = 10
MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
MAX_SUBSCRIPTIONS_PER_TOKEN = 50
CONNECTION_INIT_TIMEOUT = timedelta(seconds=10)
MAX_MESSAGE_BYTES = WS_MAX_MESSAGE_BYTES
CLOSE_TOO_MANY = 4429
LEASE_SECONDS = 60.0
RENEW_SECONDS = 20.0

# Where each process's lease ends (ms since the epoch), by owner; the slots name their owner before a colon.
OWNERS_KEY = "lk:ws:owners"
# Slots live as long as their owner's lease; the set itself at most this long after its last slot was taken (a socket
# ends with its access token long before).
SET_EXPIRY_SECONDS = 24 * 3600.0

# KEYS[1] the key's slots, KEYS[2] the owners' leases; ARGV: now (ms), the cap, the new member, its owner, the owner's
# lease end (ms), the set's expiry (ms). 1 if taken.
_TAKE_SLOT = """
local now = tonumber(ARGV[1])
redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    local owner = string.match(member, '^([^:]*):')
    local lease = owner and tonumber(redis.call('HGET', KEYS[2], owner))
    if not lease or lease <= now then
        redis.call('ZREM', KEYS[1], member)
        if owner then redis.call('HDEL', KEYS[2], owner) end
    end
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1
"""


# Set when this socket's `connection_init` was refused for the count: `on_ws_connect` runs in the handler's own task, so
# the flag reaches the handler's close without touching the view, which every socket shares.
_refused_for_count: ContextVar[bool] = ContextVar("ws_refused_for_count", default=False)


class TooManyConnections(ConnectionRejectionError):
    """Raised by `on_ws_connect`; the handler closes with 4429 instead of 4403."""

    def __init__(self) -> None:
        super().__init__()
        _refused_for_count.set(True)


@dataclass(frozen=True, slots=True)
class Slot:
    """One socket's or subscription's place under its key's cap."""

    set_key: str  # the Redis sorted set, or the local counter's key
    member: str
    shared: bool  # held in Redis (else in this process's counter, Redis being away)


class WebSocketCaps:
    """Sockets and subscriptions per key (a session id, or `ip:<address>`): in Redis when configured, else counted
    by this process alone."""

    def __init__(
        self,
        redis: Redis | None = None,
        *,
        lease_seconds: float = LEASE_SECONDS,
        renew_seconds: float = RENEW_SECONDS,
    ) -> None:
        self.redis = redis
        self.lease_seconds = lease_seconds
        self.renew_seconds = renew_seconds
        self.local: Counter[str] = Counter()
        self.owner = uuid.uuid4().hex  # this process, in its slots' names and its lease
        self._held: set[Slot] = set()  # shared slots, held while the lease is renewed
        self._renewal: asyncio.Task[None] | None = None
        self._redis_away = False
        self._releases: set[asyncio.Task[None]] = set()

    async def open(self, key: str) -> Slot:
        """A socket's slot; `TooManyConnections` when the key has its cap of sockets."""
        slot = await self._take(f"lk:ws:connections:{key}", MAX_CONNECTIONS_PER_TOKEN)
        if slot is None:
            raise TooManyConnections()
        return slot

    async def add_subscription(self, key: str) -> Slot | None:
        """A subscription's slot, or None when the key has its cap of subscriptions."""
        return await self._take(f"lk:ws:subscriptions:{key}", MAX_SUBSCRIPTIONS_PER_TOKEN)

    async def release(self, slot: Slot) -> None:
        if not slot.shared:
            self.local[slot.set_key] -= 1
            if self.local[slot.set_key] <= 0:
                del self.local[slot.set_key]
            return
        self._held.discard(slot)
        assert self.redis is not None
        try:
            await self.redis.zrem(slot.set_key, slot.member)
        except redis_errors() as error:  # its lease lapses instead
            self._note_redis_away(error)

    def release_soon(self, slot: Slot) -> None:
        """`release` from synchronous code (strawberry's `forget_id`)."""
        task = asyncio.create_task(self.release(slot))
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)

    async def _take(self, set_key: str, cap: int) -> Slot | None:
        member = f"{self.owner}:{uuid.uuid4().hex}"
        if self.redis is not None:
            now = time.time()
            try:
                taken = await self.redis.eval(  # type: ignore[misc]
                    _TAKE_SLOT,
                    2,
                    set_key,
                    OWNERS_KEY,
                    str(int(now * 1000)),
                    str(cap),
                    member,
                    self.owner,
                    str(int((now + self.lease_seconds) * 1000)),
                    str(int(SET_EXPIRY_SECONDS * 1000)),
                )
            except redis_errors() as error:
                self._note_redis_away(error)
            else:
                self._note_redis_back()
                if not taken:
                    return None
                slot = Slot(set_key, member, shared=True)
                self._held.add(slot)
                self._renew_in_background()
                return slot
        if self.local[set_key] >= cap:
            return None
        self.local[set_key] += 1
        return Slot(set_key, member, shared=False)

    def _renew_in_background(self) -> None:
        if self._renewal is None or self._renewal.done():
            self._renewal = asyncio.create_task(self._renew_while_held(), name="ws-caps-renewal")

    async def _renew_while_held(self) -> None:
        """Every `renew_seconds`, extend this process's lease (one command for all its slots); ends when it holds
        none."""
        while self._held:
            await asyncio.sleep(self.renew_seconds)
            assert self.redis is not None
            until = int((time.time() + self.lease_seconds) * 1000)
            try:
                await self.redis.hset(OWNERS_KEY, self.owner, str(until))  # type: ignore[misc]
            except redis_errors() as error:
                self._note_redis_away(error)

    def _note_redis_away(self, error: Exception) -> None:
        if not self._redis_away:
            self._redis_away = True
            log.warning(
                "websocket caps counted per process: Redis unreachable", error=f"{type(error).__name__}: {error}"
            )

    def _note_redis_back(self) -> None:
        if self._redis_away:
            self._redis_away = False
            log.info("websocket caps counted in Redis again")


class CappedTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """strawberry's graphql-transport-ws handler with the caps above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slots: dict[str, Slot] = {}  # the subscription slots of this socket's operations

    @property
    def _caps(self) -> WebSocketCaps:
        caps: WebSocketCaps = self.view.ws_caps  # type: ignore[attr-defined]
        return caps

    @property
    def _key(self) -> str | None:
        return getattr(self.context, "ws_cap_key", None)

    async def handle_connection_init(self, message: Any) -> None:
        original_close = self.websocket.close
        flag = _refused_for_count.set(False)

        async def close(code: int, reason: str) -> None:
            await original_close(CLOSE_TOO_MANY if _refused_for_count.get() else code, reason)

        # Only this socket's adapter is patched: sockets initialising at the same time must not see each other's
        # wrappers (a patched shared view broke concurrent connects, issue 15).
        self.websocket.close = close  # type: ignore[method-assign]
        try:
            await super().handle_connection_init(message)
        finally:
            self.websocket.close = original_close  # type: ignore[method-assign]
            _refused_for_count.reset(flag)
        timeout_task = self.connection_init_timeout_task
        if timeout_task is not None and (timeout_task.done() or timeout_task.cancelling()):
            # Cancelled by the init: the finished task (its CancelledError, traceback and frame) is not kept for the
            # socket's life (issue 15: memory per socket).
            self.connection_init_timeout_task = None
        if self.connection_acknowledged:
            heap_keeper.note_long_lived()

    async def handle_subscribe(self, message: Any) -> None:
        if self.connection_acknowledged and isinstance(message.get("payload"), dict):
            # Persisted documents hold over the socket too (`PERSISTED_DOCUMENTS=required`; APQ hashes).
            payload = message["payload"]
            viewer = getattr(self.context, "viewer", None)
            try:
                payload["query"] = await self.view.persisted.document(  # type: ignore[attr-defined]
                    query=payload.get("query"),
                    extensions=payload.get("extensions"),
                    may_send_documents=viewer is not None and viewer.is_staff,
                )
            except PersistedRefusal as refused:
                error = GraphQLError(refused.message, extensions={"code": refused.code})
                await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
                return
        key = self._key
        operation_id = message["id"]
        new = self.connection_acknowledged and operation_id not in self.operations
        slot: Slot | None = None
        if new:
            if len(self.operations) < MAX_SUBSCRIPTIONS_PER_CONNECTION:
                slot = await self._caps.add_subscription(key) if key is not None else None
            if len(self.operations) >= MAX_SUBSCRIPTIONS_PER_CONNECTION or (key is not None and slot is None):
                error = GraphQLError(
                    "Слишком много подписок: закройте ненужные",
                    extensions={"code": "TOO_MANY_SUBSCRIPTIONS"},
                )
                await self.send_message({"id": operation_id, "type": "error", "payload": [error.formatted]})
                return
        await super().handle_subscribe(message)
        if operation_id in self.operations:
            heap_keeper.note_long_lived()  # a subscription lives as long as its socket, or until completed
        if slot is not None:
            if operation_id in self.operations:
                self._slots[operation_id] = slot
            else:
                await self._caps.release(slot)

    async def shutdown(self) -> None:
        try:
            await super().shutdown()
        finally:
            if self.connection_acknowledged:
                heap_keeper.note_closed()  # what it leaves in reference cycles waits, frozen, for the sweep

    def forget_id(self, id: str) -> None:
        slot = self._slots.pop(id, None)
        if slot is not None:
            self._caps.release_soon(slot)
        super().forget_id(id)

    async def cleanup_operation(self, operation_id: str) -> None:
        slot = self._slots.pop(operation_id, None)
        if slot is not None:
            await self._caps.release(slot)
        await super().cleanup_operation(operation_id)

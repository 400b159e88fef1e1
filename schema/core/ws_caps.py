"""Caps on websockets (issue 13: one token opened 50 sockets × 100 subscriptions, all accepted, and stalled the
server). Counted per process: each worker holds its own sockets.

- `MAX_CONNECTIONS_PER_TOKEN` sockets per session (per client address when anonymous): the next `connection_init`
  is closed with 4429, the protocol's "too many" code;
- `MAX_SUBSCRIPTIONS_PER_CONNECTION` operations per socket and `MAX_SUBSCRIPTIONS_PER_TOKEN` across a session's
  sockets: the next `subscribe` gets the protocol's `error` message with `extensions.code` TOO_MANY_SUBSCRIPTIONS;
- `connection_init` must come within `CONNECTION_INIT_TIMEOUT` (else 4408), and a message may be at most
  `MAX_MESSAGE_BYTES` (uvicorn's `ws_max_size`: a bigger frame closes the socket with 1009).
"""

from __future__ import annotations

from collections import Counter
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from schema.core.persisted import PersistedRefusal
from services.platform.bootstrap import WS_MAX_MESSAGE_BYTES

MAX_CONNECTIONS_PER_TOKEN = 10
MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
MAX_SUBSCRIPTIONS_PER_TOKEN = 50
CONNECTION_INIT_TIMEOUT = timedelta(seconds=10)
MAX_MESSAGE_BYTES = WS_MAX_MESSAGE_BYTES
CLOSE_TOO_MANY = 4429


# Set when this socket's `connection_init` was refused for the count: `on_ws_connect` runs in the handler's own task, so
# the flag reaches the handler's close without touching the view, which every socket shares.
_refused_for_count: ContextVar[bool] = ContextVar("ws_refused_for_count", default=False)


class TooManyConnections(ConnectionRejectionError):
    """Raised by `on_ws_connect`; the handler closes with 4429 instead of 4403."""

    def __init__(self) -> None:
        super().__init__()
        _refused_for_count.set(True)


class WebSocketCaps:
    """The process's counts of sockets and subscriptions per key (a session id, or `ip:<address>`)."""

    def __init__(self) -> None:
        self.connections: Counter[str] = Counter()
        self.subscriptions: Counter[str] = Counter()

    def open(self, key: str) -> None:
        if self.connections[key] >= MAX_CONNECTIONS_PER_TOKEN:
            raise TooManyConnections()
        self.connections[key] += 1

    def close(self, key: str) -> None:
        self.connections[key] -= 1
        if self.connections[key] <= 0:
            del self.connections[key]

    def subscription_ended(self, key: str) -> None:
        self.subscriptions[key] -= 1
        if self.subscriptions[key] <= 0:
            del self.subscriptions[key]


class CappedTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """strawberry's graphql-transport-ws handler with the caps above."""

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
        new = self.connection_acknowledged and message["id"] not in self.operations
        if new and (
            len(self.operations) >= MAX_SUBSCRIPTIONS_PER_CONNECTION
            or (key is not None and self._caps.subscriptions[key] >= MAX_SUBSCRIPTIONS_PER_TOKEN)
        ):
            error = GraphQLError(
                "Слишком много подписок: закройте ненужные",
                extensions={"code": "TOO_MANY_SUBSCRIPTIONS"},
            )
            await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        await super().handle_subscribe(message)
        if new and key is not None and message["id"] in self.operations:
            self._caps.subscriptions[key] += 1

    def forget_id(self, id: str) -> None:
        if id in self.operations and self._key is not None:
            self._caps.subscription_ended(self._key)
        super().forget_id(id)

    async def cleanup_operation(self, operation_id: str) -> None:
        if operation_id in self.operations and self._key is not None:
            self._caps.subscription_ended(self._key)
        await super().cleanup_operation(operation_id)

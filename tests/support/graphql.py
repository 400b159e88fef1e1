"""A GraphQL client over the real ASGI app: HTTP requests and `graphql-transport-ws` websockets."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

GRAPHQL_TRANSPORT_WS = "graphql-transport-ws"
# Every query (not mutation) sent by the suite runs a second time through graphql-core's own execution context and
# must answer exactly the same (schema/core/compiled/): on by default, LK_COMPARE_EXECUTION=0 turns it off.
# Each distinct query is compared once per run (its text, its variables and the viewer's role): comparing every
# repetition took the suite to 15 min in CI. LK_COMPARE_EXECUTION=all compares every request.
COMPARE_EXECUTION = os.environ.get("LK_COMPARE_EXECUTION", "1") != "0"
COMPARE_REPEATS = os.environ.get("LK_COMPARE_EXECUTION") == "all"
_compared: set[tuple[str, bytes, str]] = set()


def _is_query(query: str) -> bool:
    """Not a mutation or subscription (a document that does not parse is compared too: its error must match)."""
    try:
        document = parse(query)
    except GraphQLError:
        return True
    return all(
        definition.operation == OperationType.QUERY
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    )


def _role(token: str | None) -> str:
    """The role a token names (read without checking it: the server checks it), the anonymous one's as ""."""
    if not token:
        return ""
    try:
        return str(jwt.decode(token, options={"verify_signature": False}).get("role", ""))
    except jwt.PyJWTError:
        return "malformed"


def _first_time(query: str, variables: dict[str, Any] | None, token: str | None) -> bool:
    """Whether this query, with these variables and a viewer of this role, has not been compared yet in this run."""
    if COMPARE_REPEATS:
        return True
    key = (query, orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS), _role(token))
    if key in _compared:
        return False
    _compared.add(key)
    return True


def compared_count() -> int:
    return len(_compared)


def answer(body: dict[str, Any]) -> dict[str, Any]:
    """A response body without `extensions.cost`: the budget left changes at every request, so two answers that
    must be identical (another customer's object and a missing one) compare without it. tests/test_cost_budget.py
    reads it whole."""
    extensions = {key: value for key, value in (body.get("extensions") or {}).items() if key != "cost"}
    rest = {key: value for key, value in body.items() if key != "extensions"}
    return {**rest, "extensions": extensions} if extensions else rest


class GraphQLResponseError(AssertionError):
    pass


class GraphQLClient:
    def __init__(
        self, http: httpx.AsyncClient, *, app: Any, token: str | None = None, compare: bool = COMPARE_EXECUTION
    ) -> None:
        self.http = http
        self.app = app
        self.token = token
        self.compare = compare

    def as_token(self, token: str | None) -> GraphQLClient:
        return GraphQLClient(self.http, app=self.app, token=token, compare=self.compare)

    def uncompared(self) -> GraphQLClient:
        """The same client without the second execution: for tests of what one request records (metrics, traces)."""
        return GraphQLClient(self.http, app=self.app, token=self.token, compare=False)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The whole response body (`data` and `errors`)."""
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self._headers()
        )
        assert response.status_code == 200, response.text
        body = answer(response.json())
        if self.compare and _is_query(query) and _first_time(query, variables, self.token):
            await self.compare_with_graphql_core(query, variables, body)
        return body

    async def compare_with_graphql_core(
        self, query: str, variables: dict[str, Any] | None, body: dict[str, Any]
    ) -> None:
        """The same query again through graphql-core's own execution context: the same answer, errors and paths."""
        from resolvers.root import schema
        from services.platform.database import not_counted

        fast = schema.execution_context_class
        schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
        try:
            with not_counted():
                response = await self.http.post(
                    "/graphql", json={"query": query, "variables": variables or {}}, headers=self._headers()
                )
        finally:
            schema.execution_context_class = fast
        assert answer(response.json()) == body, f"graphql-core answers otherwise:\n{response.json()}\n{body}"

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """`data` of a response that must have no errors."""
        body = await self.post(query, variables)
        if body.get("errors"):
            raise GraphQLResponseError(body["errors"])
        data: dict[str, Any] = body["data"]
        return data

    async def error_codes(self, query: str, variables: dict[str, Any] | None = None) -> list[str]:
        """The `extensions.code` of each GraphQL error of a response."""
        body = await self.post(query, variables)
        return [(error.get("extensions") or {}).get("code", "") for error in body.get("errors") or []]

    @asynccontextmanager
    async def websocket(self, *, token: str | None = None, init: bool = True) -> AsyncIterator[Subscriber]:
        # The websocket transport runs the app in a task group of its own, entered and left in this task.
        transport = ASGIWebSocketTransport(app=self.app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://test") as client,
            aconnect_ws("http://test/graphql", client, subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws,  # type: ignore[var-annotated]
        ):
            subscriber = Subscriber(ws)
            if init:
                await subscriber.init(token=token if token is not None else self.token)
            yield subscriber


class Subscriber:
    """One `graphql-transport-ws` connection."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def init(self, *, token: str | None) -> dict[str, Any]:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await self.ws.send_json({"type": "connection_init", "payload": payload})
        return await self.receive(timeout=5)

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        operation_id = uuid.uuid4().hex
        await self.ws.send_json(
            {"id": operation_id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}
        )
        return operation_id

    async def receive(self, *, timeout: float = 5) -> dict[str, Any]:
        """The next message that is not a keep-alive ping."""
        while True:
            message: dict[str, Any] = await asyncio.wait_for(self.ws.receive_json(), timeout=timeout)
            if message.get("type") == "ping":
                await self.ws.send_json({"type": "pong"})
                continue
            return message

    async def next_data(self, *, timeout: float = 5) -> dict[str, Any]:
        message = await self.receive(timeout=timeout)
        assert message["type"] == "next", message
        if message["payload"].get("errors"):
            raise GraphQLResponseError(message["payload"]["errors"])
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def expect_silence(self, *, seconds: float = 0.5) -> None:
        try:
            message = await self.receive(timeout=seconds)
        except TimeoutError:
            return
        raise AssertionError(f"expected nothing, received {message}")

    async def close_code(self, *, timeout: float = 5) -> int:
        """Wait until the server closes the socket; its close code."""
        try:
            while True:
                await asyncio.wait_for(self.ws.receive_json(), timeout=timeout)
        except WebSocketDisconnect as closed:
            return int(closed.code)

"""Websocket caps (issue 13: one token, 50 sockets × 100 subscriptions, all accepted): sockets per token and
subscriptions per socket and per token are capped, refusals use graphql-transport-ws's codes."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import httpx
import pytest
from httpx_ws import WebSocketDisconnect

from schema.core.ws_caps import (
    CLOSE_TOO_MANY,
    MAX_CONNECTIONS_PER_TOKEN,
    MAX_SUBSCRIPTIONS_PER_CONNECTION,
    MAX_SUBSCRIPTIONS_PER_TOKEN,
)
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient, Subscriber
from tests.support.identity import token_for

SUBSCRIPTION = "subscription { readingStatusChanged { eventId } }"
CONNECTION_INIT_TIMEOUT_CODE = 4408  # graphql-transport-ws: "Connection initialisation timeout"


async def test_one_token_gets_at_most_the_cap_of_sockets(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    token = await token_for(runtime, await create_customer(runtime.db, now=clock.now()))
    other = await token_for(runtime, await create_customer(runtime.db, now=clock.now()))

    async with contextlib.AsyncExitStack() as stack:
        acks = []
        for _ in range(MAX_CONNECTIONS_PER_TOKEN):
            socket = await stack.enter_async_context(gql.websocket(init=False))
            acks.append((await socket.init(token=token))["type"])
        extra = await stack.enter_async_context(gql.websocket(init=False))
        await extra.ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        refused = await extra.close_code()
        another_customer = await stack.enter_async_context(gql.websocket(init=False))
        their_ack = (await another_customer.init(token=other))["type"]

    assert acks == ["connection_ack"] * MAX_CONNECTIONS_PER_TOKEN
    assert refused == CLOSE_TOO_MANY
    assert their_ack == "connection_ack"
    async with gql.websocket(init=False) as again:  # the closed sockets no longer count
        assert (await again.init(token=token))["type"] == "connection_ack"


async def test_sockets_initialising_at_the_same_time_are_each_answered_for_themselves(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # Issue 15: the handler patched the shared view during `connection_init`, so two sockets initialising at once
    # undid each other's patch (AttributeError, no ack) and a refusal could be closed with another socket's code.
    token = await token_for(runtime, await create_customer(runtime.db, now=clock.now()))
    other = await token_for(runtime, await create_customer(runtime.db, now=clock.now()))
    tokens = [token] * (MAX_CONNECTIONS_PER_TOKEN + 1) + [other] * 3

    async with contextlib.AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(gql.websocket(init=False)) for _ in tokens]
        for socket, each in zip(sockets, tokens, strict=True):
            await socket.ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {each}"}})

        async def answer(socket: Subscriber) -> str | int:
            try:
                return str((await socket.receive(timeout=10))["type"])
            except WebSocketDisconnect as closed:
                return int(closed.code)

        answers = await asyncio.gather(*(answer(socket) for socket in sockets))

    mine, theirs = answers[: MAX_CONNECTIONS_PER_TOKEN + 1], answers[MAX_CONNECTIONS_PER_TOKEN + 1 :]
    assert sorted(mine, key=str) == sorted(["connection_ack"] * MAX_CONNECTIONS_PER_TOKEN + [CLOSE_TOO_MANY], key=str)
    assert theirs == ["connection_ack"] * 3


async def test_subscriptions_are_capped_per_socket_and_per_token(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    token = await token_for(runtime, await create_customer(runtime.db, now=clock.now()))

    async with contextlib.AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(gql.websocket(token=token)) for _ in range(4)]
        for _ in range(MAX_SUBSCRIPTIONS_PER_CONNECTION):
            await sockets[0].subscribe(SUBSCRIPTION)
        await sockets[0].subscribe(SUBSCRIPTION)
        per_socket = await sockets[0].receive()
        for index in range(MAX_SUBSCRIPTIONS_PER_TOKEN - MAX_SUBSCRIPTIONS_PER_CONNECTION):
            await sockets[1 + index // MAX_SUBSCRIPTIONS_PER_CONNECTION].subscribe(SUBSCRIPTION)
        await sockets[3].subscribe(SUBSCRIPTION)
        per_token = await sockets[3].receive()

    assert per_socket["type"] == "error"
    assert per_socket["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
    assert per_token["type"] == "error"
    assert per_token["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"


def test_cursors_signed_by_one_worker_are_read_by_another_with_the_same_secret() -> None:
    from schema.core.pagination import decode_cursor, encode_cursor, set_cursor_secret

    set_cursor_secret("secret-of-the-deployment-0123456789abcdef")
    cursor = encode_cursor([3, "2026-11-01"])
    set_cursor_secret("another-deployment-0123456789abcdef-xyz")
    set_cursor_secret("secret-of-the-deployment-0123456789abcdef")  # another worker, same SECRET_KEY

    assert decode_cursor(cursor) == [3, "2026-11-01"]


async def test_a_socket_that_sends_no_connection_init_in_time_is_closed_with_4408(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schema.core import view
    from server import create_app

    monkeypatch.setattr(view, "CONNECTION_INIT_TIMEOUT", timedelta(seconds=0.2))  # 10 s in production
    app = create_app(runtime, run_background=False)
    async with GraphQLClient(httpx.AsyncClient(), app=app).websocket(init=False) as silent:
        code = await silent.close_code(timeout=10)

    assert code == CONNECTION_INIT_TIMEOUT_CODE

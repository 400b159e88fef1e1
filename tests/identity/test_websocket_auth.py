"""Websockets authenticate from `connection_init` and are closed (4403) when their token is revoked or expires."""

from __future__ import annotations

from datetime import timedelta

from services.identity.guard import SessionGuard
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import sign_in_as

SIGN_OUT = "mutation($input: SignOutInput!) { signOut(input: $input) { errors { code } } }"
FORBIDDEN = 4403


async def test_a_valid_token_is_accepted(gql: GraphQLClient, runtime: Runtime, clock: FrozenClock) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    issued = await sign_in_as(runtime, customer)

    async with gql.websocket(init=False) as socket:
        answer = await socket.init(token=issued.access_token)

    assert answer["type"] == "connection_ack"


async def test_a_forged_token_is_refused_with_4403(gql: GraphQLClient) -> None:
    async with gql.websocket(init=False) as socket:
        await socket.ws.send_json({"type": "connection_init", "payload": {"Authorization": "Bearer not-a-token"}})
        code = await socket.close_code()

    assert code == FORBIDDEN


async def test_a_token_of_a_revoked_session_is_refused(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    issued = await sign_in_as(runtime, customer)
    await gql.execute(SIGN_OUT, {"input": {"refreshToken": issued.refresh_token}})

    async with gql.websocket(init=False) as socket:
        await socket.ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {issued.access_token}"}}
        )
        code = await socket.close_code()

    assert code == FORBIDDEN


async def test_signing_out_closes_the_open_socket_with_4403(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    issued = await sign_in_as(runtime, customer)

    async with gql.websocket(token=issued.access_token) as socket:
        await gql.execute(SIGN_OUT, {"input": {"refreshToken": issued.refresh_token}})
        code = await socket.close_code()

    assert code == FORBIDDEN


async def test_the_socket_is_closed_with_4403_when_its_token_expires(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given
    guard = runtime.session_guard
    assert isinstance(guard, SessionGuard)
    guard.poll_seconds = 0.05
    customer = await create_customer(runtime.db, now=clock.now())
    issued = await sign_in_as(runtime, customer)

    async with gql.websocket(token=issued.access_token) as socket:
        # when
        clock.advance(timedelta(minutes=15, seconds=1))

        # then
        assert await socket.close_code() == FORBIDDEN


async def test_an_anonymous_socket_is_accepted_without_a_viewer(gql: GraphQLClient) -> None:
    async with gql.websocket(init=False) as socket:
        answer = await socket.init(token=None)

    assert answer["type"] == "connection_ack"

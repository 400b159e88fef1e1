"""Websockets authenticate from `connection_init` and are closed (4403) when their token is revoked or expires."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from structlog.testing import capture_logs

from models.identity import AuthSession
from services.identity.guard import SessionGuard
from services.platform.clock import FrozenClock
from services.platform.database import Database, run
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


class FailingOnceDatabase(Database):
    """The test's database, except that the session opened while `fail_next` is set talks to a PostgreSQL that is not
    there (a port nobody listens on): its first statement fails as it would during an outage."""

    def __init__(self, db: Database) -> None:
        super().__init__(db.engine)
        self.db = db
        self.unreachable = Database.from_url("postgresql://postgres@127.0.0.1:9/nowhere", pool_size=1)
        self.fail_next = False
        self.failures = 0

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        if self.fail_next:
            self.fail_next = False
            self.failures += 1
            async with self.unreachable.session() as session:
                yield session
            return
        async with self.db.session() as session:
            yield session

    async def fetch(self, query: str, *args: Any, record_class: type[asyncpg.Record] | None = None) -> list[Any]:
        """Plain reads (the guard's lookup of one session) fail the same way while `fail_next` is set."""
        if self.fail_next:
            self.fail_next = False
            self.failures += 1
            return await self.unreachable.fetch(query, *args, record_class=record_class)
        return await self.db.fetch(query, *args, record_class=record_class)


async def test_a_revoked_sessions_socket_is_closed_when_the_first_revocation_poll_fails(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: a session revoked by another process, which this process still holds for alive in its cache
    customer = await create_customer(runtime.db, now=clock.now())
    issued = await sign_in_as(runtime, customer)
    guard = runtime.session_guard
    failing = FailingOnceDatabase(runtime.db)
    guard.db, guard.poll_seconds, guard.alive_ttl_seconds = failing, 0.05, 3600.0
    assert not await guard.is_revoked(issued.session_id)
    async with runtime.db.session() as session:
        await run(
            session,
            sa.update(AuthSession).where(col(AuthSession.id) == issued.session_id).values(revoked_at=clock.now()),
        )
        await session.commit()

    try:
        with capture_logs() as logs:
            async with gql.websocket(token=issued.access_token) as socket:
                # when: the cached answer runs out and the guard's first poll of the database fails
                failing.fail_next = True
                guard.alive_ttl_seconds = 0.0

                # then: the failure is logged, the poll retried, and the socket closed
                assert await socket.close_code() == FORBIDDEN
    finally:
        await failing.unreachable.dispose()

    assert failing.failures == 1
    assert any(
        entry["event"] == "websocket token guard: revocation poll failed, retrying"
        and entry["session_id"] == str(issued.session_id)
        for entry in logs
    )

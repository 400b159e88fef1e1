"""Two tabs refreshing with one token keep the session: the reuse grace (issue 13).

Within `REUSE_GRACE`, the client that rotated a refresh token gets the same successor again; beyond it, or from
another client, reuse still revokes the family.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from services.identity.sessions import REUSE_GRACE
from services.platform.clock import FrozenClock
from services.platform.database import Database
from services.platform.runtime import Runtime
from services.platform.settings import Settings
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import sign_in_as
from tests.support.processes import committed_database

REFRESH = """
mutation($input: RefreshSessionInput!) {
  refreshSession(input: $input) { session { accessToken refreshToken } errors { code } }
}"""
ME = "{ me { phone } }"


async def refresh(gql: GraphQLClient, token: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql.execute(REFRESH, {"input": {"refreshToken": token}}))["refreshSession"]
    return payload


async def test_the_same_client_refreshing_again_within_the_grace_gets_the_same_successor(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given
    customer = await create_customer(runtime.db, now=clock.now())
    issued = await sign_in_as(runtime, customer)
    first = await refresh(gql, issued.refresh_token)

    # when: the second tab presents the same token a few seconds later
    clock.advance(REUSE_GRACE)
    second = await refresh(gql, issued.refresh_token)

    # then: one successor, both access tokens work, the session lives on
    assert first["errors"] == second["errors"] == []
    assert second["session"]["refreshToken"] == first["session"]["refreshToken"]
    for session in (first["session"], second["session"]):
        assert (await gql.as_token(session["accessToken"]).execute(ME))["me"]["phone"] == customer.phone
    assert (await refresh(gql, first["session"]["refreshToken"]))["errors"] == []


async def test_reuse_beyond_the_grace_still_revokes_the_family(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    issued = await sign_in_as(runtime, customer)
    successor = (await refresh(gql, issued.refresh_token))["session"]

    clock.advance(REUSE_GRACE + timedelta(seconds=1))
    reused = await refresh(gql, issued.refresh_token)

    assert [error["code"] for error in reused["errors"]] == ["INVALID_REFRESH_TOKEN"]
    assert [e["code"] for e in (await refresh(gql, successor["refreshToken"]))["errors"]] == ["INVALID_REFRESH_TOKEN"]


async def test_reuse_from_another_client_within_the_grace_revokes_the_family(
    gql: GraphQLClient, app_client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: the owner refreshed; a copy of the old token is used from another browser at once
    customer = await create_customer(runtime.db, now=clock.now())
    issued = await sign_in_as(runtime, customer)
    successor = (await refresh(gql, issued.refresh_token))["session"]

    # when
    response = await app_client.post(
        "/graphql",
        json={"query": REFRESH, "variables": {"input": {"refreshToken": issued.refresh_token}}},
        headers={"User-Agent": "another browser"},
    )

    # then
    assert [e["code"] for e in response.json()["data"]["refreshSession"]["errors"]] == ["INVALID_REFRESH_TOKEN"]
    assert [e["code"] for e in (await refresh(gql, successor["refreshToken"]))["errors"]] == ["INVALID_REFRESH_TOKEN"]


@pytest_asyncio.fixture(scope="module")
async def committed_db(server_url: str) -> AsyncIterator[Database]:
    async with committed_database(server_url) as db:
        yield db


@pytest_asyncio.fixture
async def committed_gql(committed_db: Database, settings: Settings, clock: FrozenClock) -> AsyncIterator[GraphQLClient]:
    """The app over a committed database: each request its own connection, so the refreshes really race."""
    from server import create_app

    runtime = Runtime(settings=settings, db=committed_db, clock=clock)
    app = create_app(runtime, run_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield GraphQLClient(client, app=app)


@pytest.mark.parametrize("tabs", [10])
async def test_ten_concurrent_refreshes_with_one_token_keep_the_session(
    committed_gql: GraphQLClient, committed_db: Database, settings: Settings, clock: FrozenClock, tabs: int
) -> None:
    # given
    runtime = Runtime(settings=settings, db=committed_db, clock=clock)
    customer = await create_customer(committed_db, now=clock.now())
    issued = await sign_in_as(runtime, customer)

    # when
    answers = await asyncio.gather(*(refresh(committed_gql, issued.refresh_token) for _ in range(tabs)))

    # then: every tab got the one successor, and the user is still signed in
    assert [answer["errors"] for answer in answers] == [[]] * tabs
    assert len({answer["session"]["refreshToken"] for answer in answers}) == 1
    me = await committed_gql.as_token(answers[-1]["session"]["accessToken"]).execute(ME)
    assert me["me"]["phone"] == customer.phone
    assert (await refresh(committed_gql, answers[0]["session"]["refreshToken"]))["errors"] == []

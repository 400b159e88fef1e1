"""Limits and lockouts through a Redis outage, on a private redis-server this test stops and starts (issue 13).

Lockouts survive a Redis restart (they live in PostgreSQL); while Redis is down, counters fall back to PostgreSQL
and sign-in, registration and code checks answer as usual; the first request after Redis returns succeeds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from services.identity.limits import REDIS_PAUSE
from services.identity.signin import PHONE_FAILURES
from services.platform.bootstrap import build_runtime
from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase
from services.platform.runtime import Runtime
from services.platform.settings import Settings
from tests.support.factories import DEFAULT_PASSWORD, create_customer, unique_phone
from tests.support.graphql import GraphQLClient
from tests.support.identity import CONFIRM_REGISTRATION, SIGN_IN, START_REGISTRATION
from tests.support.redis_server import RedisServer, private_redis


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with private_redis() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, redis_server: RedisServer) -> Settings:
    return Settings(database_url="postgresql://unused", redis_url=redis_server.url, data_dir=tmp_path / "data")


@pytest.fixture
def runtime(settings: Settings, db: TransactionalDatabase, clock: FrozenClock) -> Runtime:
    """Built as the server builds it: the Redis client with the production options."""
    return build_runtime(settings, db, clock=clock)


async def sign_in(gql: GraphQLClient, phone: str, password: str) -> list[str]:
    """The error codes of a sign-in (empty: signed in); any GraphQL-level error fails the test."""
    payload: dict[str, Any] = (await gql.execute(SIGN_IN, {"input": {"phone": phone, "password": password}}))["signIn"]
    if not payload["errors"]:
        assert payload["session"]["accessToken"]
    return [error["code"] for error in payload["errors"]]


async def test_a_sign_in_lockout_survives_a_redis_restart(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, redis_server: RedisServer
) -> None:
    # given: the phone locked after five wrong passwords
    customer = await create_customer(runtime.db, now=clock.now())
    answers = [await sign_in(gql, customer.phone, "Wrong2026pass") for _ in range(PHONE_FAILURES)]
    assert answers[-1] == ["TEMPORARILY_LOCKED"]

    # when: Redis restarts with nothing in it
    redis_server.restart()
    with_the_right_password = await sign_in(gql, customer.phone, DEFAULT_PASSWORD)

    # then
    assert with_the_right_password == ["TEMPORARILY_LOCKED"]


async def test_while_redis_is_down_limits_count_in_postgresql(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, redis_server: RedisServer
) -> None:
    # given
    customer = await create_customer(runtime.db, now=clock.now())
    redis_server.stop()

    # when: sign-ins, a registration and a code check, with Redis gone
    wrong = [await sign_in(gql, customer.phone, "Wrong2026pass") for _ in range(PHONE_FAILURES)]
    right = await sign_in(gql, customer.phone, DEFAULT_PASSWORD)
    phone = unique_phone()
    started = await gql.execute(
        START_REGISTRATION,
        {
            "input": {
                "phone": phone,
                "password": DEFAULT_PASSWORD,
                "passwordConfirmation": DEFAULT_PASSWORD,
                "privacyPolicyAccepted": True,
            }
        },
    )
    checked = await gql.execute(
        CONFIRM_REGISTRATION,
        {"input": {"challengeId": started["startRegistration"]["challenge"]["id"], "code": "000000"}},
    )

    # then: the usual answers, and the limit held
    assert wrong == [["INVALID_CREDENTIALS"]] * (PHONE_FAILURES - 1) + [["TEMPORARILY_LOCKED"]]
    assert right == ["TEMPORARILY_LOCKED"]
    assert started["startRegistration"]["errors"] == []
    assert [error["code"] for error in checked["confirmRegistration"]["errors"]] == ["INVALID_CODE"]


async def test_the_first_request_after_redis_returns_succeeds_and_counters_go_back_to_redis(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, redis_server: RedisServer
) -> None:
    # given: the process has talked to Redis (a pooled connection), then Redis went away and came back empty
    customer = await create_customer(runtime.db, now=clock.now())
    assert await sign_in(gql, customer.phone, DEFAULT_PASSWORD) == []
    redis_server.stop()
    assert await sign_in(gql, customer.phone, DEFAULT_PASSWORD) == []  # while it is down
    redis_server.start()

    # when
    first = await sign_in(gql, customer.phone, DEFAULT_PASSWORD)
    await asyncio.sleep(REDIS_PAUSE + 0.1)
    failed = await sign_in(gql, customer.phone, "Wrong2026pass")

    # then: signed in; and counting is back in Redis
    assert first == []
    assert failed == ["INVALID_CREDENTIALS"]
    client = aioredis.from_url(redis_server.url)
    try:
        keys = [key async for key in client.scan_iter(match="lk:limit:signin-fail:phone:*")]
    finally:
        await client.aclose()
    assert len(keys) == 1

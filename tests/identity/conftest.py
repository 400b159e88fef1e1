"""Fixtures of the identity tests: the rate limiter on each of its backends."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from services.identity.limits import PostgresRateLimiter, RateLimiter, RedisRateLimiter
from services.platform.runtime import Runtime


@pytest_asyncio.fixture
async def redis_limiter(redis_url: str) -> AsyncIterator[RedisRateLimiter]:
    """A limiter on the real Redis under a prefix of its own, whose keys are deleted afterwards."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_url)
    limiter = RedisRateLimiter(client, prefix=f"test:{uuid.uuid4().hex}:")
    yield limiter
    keys = [key async for key in client.scan_iter(match=f"{limiter.prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture(params=["postgres", "redis"])
def limiter(request: pytest.FixtureRequest, runtime: Runtime) -> RateLimiter:
    """The same tests on both backends: PostgreSQL counters and Redis keys."""
    if request.param == "postgres":
        return PostgresRateLimiter(runtime.db)
    limiter: RateLimiter = request.getfixturevalue("redis_limiter")
    return limiter

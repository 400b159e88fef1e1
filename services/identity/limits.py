"""Rate limits and lockouts: one interface, counters in Redis when it is configured, in PostgreSQL otherwise.

Lockouts always live in PostgreSQL (they are few, and must survive a Redis restart: a Redis without persistence
would otherwise hand a guesser a fresh set of tries). While Redis does not answer, counters fall back to
PostgreSQL for `REDIS_PAUSE` at a time, so sign-in, registration and code checks keep their limits during an outage
and the first request after Redis returns does not fail on a dead connection.

Counters are fixed windows aligned to the clock: the window id (derived from the injected clock) is part of the key,
so the count does not depend on when Redis expires a key, and tests standing at a frozen moment stay deterministic.
A lock stores the moment it ends and is compared with the clock; the Redis TTL only collects garbage.
Counters are written in a unit of work of their own: a refused attempt must count even though its business
transaction is rolled back.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from models.identity import RateLimitCounter
from services.platform.database import Database, run
from services.platform.redis_errors import redis_errors
from services.platform.runtime import Runtime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
REDIS_PAUSE = 2.0  # seconds counters stay in PostgreSQL after Redis failed, before Redis is tried again

log = structlog.get_logger("limits")
T = TypeVar("T")


def window_bounds(now: datetime, window: timedelta) -> tuple[int, datetime]:
    """The id of the fixed window holding `now`, and the moment it ends."""
    seconds = int(window.total_seconds())
    window_id = int((now - _EPOCH).total_seconds()) // seconds
    return window_id, _EPOCH + timedelta(seconds=(window_id + 1) * seconds)


class RateLimiter(Protocol):
    async def hit(self, key: str, *, window: timedelta, now: datetime, amount: int = 1) -> int:
        """Count `amount` more (one event, or a query's cost; negative takes back) in the current window of `key`;
        the count so far, these included."""
        ...

    async def hit_many(self, amounts: Sequence[tuple[str, int]], *, window: timedelta, now: datetime) -> list[int]:
        """`hit` for several keys at once (one round trip where the store allows it); the counts in the same order."""
        ...

    async def undo_hit(self, key: str, *, window: timedelta, now: datetime) -> None:
        """Take back one event of the current window: an attempt counted up front that turned out not to count."""
        ...

    async def count(self, key: str, *, window: timedelta, now: datetime) -> int: ...

    async def lock(self, key: str, *, until: datetime, now: datetime) -> None: ...

    async def locked_until(self, key: str, *, now: datetime) -> datetime | None:
        """When the lock on `key` ends, if it is locked at `now`."""
        ...

    async def clear(self, key: str, *, window: timedelta, now: datetime) -> None:
        """Forget the current window's count (e.g. failed sign-ins after a successful one)."""
        ...


class PostgresRateLimiter:
    """`rate_limit_counter` rows keyed by name and window id; expired rows are deleted by `delete_expired`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def hit(self, key: str, *, window: timedelta, now: datetime, amount: int = 1) -> int:
        window_id, ends_at = window_bounds(now, window)
        table = RateLimitCounter.__table__  # type: ignore[attr-defined]
        statement = (
            insert(table)
            .values(key=f"{key}:{window_id}", count=amount, window_ends_at=ends_at)
            .on_conflict_do_update(index_elements=["key"], set_={"count": table.c.count + amount})
            .returning(table.c.count)
        )
        async with self.db.session() as session:
            count = (await run(session, statement)).scalar_one()
            await session.commit()
        return int(count)

    async def hit_many(self, amounts: Sequence[tuple[str, int]], *, window: timedelta, now: datetime) -> list[int]:
        """All or none (one transaction): a caller retrying after a failure must not count some keys twice."""
        window_id, ends_at = window_bounds(now, window)
        table = RateLimitCounter.__table__  # type: ignore[attr-defined]
        counts = []
        async with self.db.session() as session:
            for key, amount in amounts:
                statement = (
                    insert(table)
                    .values(key=f"{key}:{window_id}", count=amount, window_ends_at=ends_at)
                    .on_conflict_do_update(index_elements=["key"], set_={"count": table.c.count + amount})
                    .returning(table.c.count)
                )
                counts.append(int((await run(session, statement)).scalar_one()))
            await session.commit()
        return counts

    async def undo_hit(self, key: str, *, window: timedelta, now: datetime) -> None:
        window_id, _ = window_bounds(now, window)
        statement = (
            sa.update(RateLimitCounter)
            .where(col(RateLimitCounter.key) == f"{key}:{window_id}", col(RateLimitCounter.count) > 0)
            .values(count=col(RateLimitCounter.count) - 1)
        )
        async with self.db.session() as session:
            await run(session, statement)
            await session.commit()

    async def count(self, key: str, *, window: timedelta, now: datetime) -> int:
        window_id, _ = window_bounds(now, window)
        return await self._count_of(f"{key}:{window_id}")

    async def lock(self, key: str, *, until: datetime, now: datetime) -> None:
        table = RateLimitCounter.__table__  # type: ignore[attr-defined]
        statement = (
            insert(table)
            .values(key=f"lock:{key}", count=1, window_ends_at=until)
            .on_conflict_do_update(index_elements=["key"], set_={"window_ends_at": until})
        )
        async with self.db.session() as session:
            await run(session, statement)
            await session.commit()

    async def locked_until(self, key: str, *, now: datetime) -> datetime | None:
        async with self.db.session() as session:
            until: datetime | None = (
                await run(
                    session,
                    sa.select(col(RateLimitCounter.window_ends_at)).where(col(RateLimitCounter.key) == f"lock:{key}"),
                )
            ).scalar_one_or_none()
        return until if until is not None and until > now else None

    async def clear(self, key: str, *, window: timedelta, now: datetime) -> None:
        window_id, _ = window_bounds(now, window)
        async with self.db.session() as session:
            await run(session, sa.delete(RateLimitCounter).where(RateLimitCounter.key == f"{key}:{window_id}"))  # type: ignore[arg-type]
            await session.commit()

    async def delete_expired(self, *, now: datetime) -> int:
        async with self.db.session() as session:
            result: Any = await run(
                session,
                sa.delete(RateLimitCounter).where(RateLimitCounter.window_ends_at <= now),  # type: ignore[arg-type]
            )
            await session.commit()
        return int(result.rowcount or 0)

    async def _count_of(self, full_key: str) -> int:
        async with self.db.session() as session:
            count = (
                await run(session, sa.select(col(RateLimitCounter.count)).where(col(RateLimitCounter.key) == full_key))
            ).scalar_one_or_none()
        return int(count or 0)


# INCRBY and EXPIRE as one command (atomic in Redis): cheaper than a MULTI/EXEC pipeline of the two, on every request
# the cost budget charges.
_ADD_AND_EXPIRE = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return count
"""

# The same for every key given (the cost ledger's flush: the charges of many viewers in one round trip).
_ADD_MANY_AND_EXPIRE = """
local counts = {}
for index, key in ipairs(KEYS) do
  counts[index] = redis.call('INCRBY', key, ARGV[index + 1])
  redis.call('EXPIRE', key, ARGV[1])
end
return counts
"""

_DECREMENT_IF_POSITIVE = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


class RedisRateLimiter:
    """INCRBY + EXPIRE (one script) on keys carrying the window id; shared by every process using the same Redis."""

    def __init__(self, redis: Any, *, prefix: str = "lk:limit:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._add = redis.register_script(_ADD_AND_EXPIRE)  # EVALSHA, loaded again if Redis forgot it
        self._add_many = redis.register_script(_ADD_MANY_AND_EXPIRE)

    async def hit(self, key: str, *, window: timedelta, now: datetime, amount: int = 1) -> int:
        window_id, _ = window_bounds(now, window)
        full_key = f"{self.prefix}{key}:{window_id}"
        count = await self._add(keys=[full_key], args=[amount, int(window.total_seconds()) + 60])
        return int(count)

    async def hit_many(self, amounts: Sequence[tuple[str, int]], *, window: timedelta, now: datetime) -> list[int]:
        if not amounts:
            return []
        window_id, _ = window_bounds(now, window)
        keys = [f"{self.prefix}{key}:{window_id}" for key, _ in amounts]
        counts = await self._add_many(keys=keys, args=[int(window.total_seconds()) + 60, *(a for _, a in amounts)])
        return [int(count) for count in counts]

    async def undo_hit(self, key: str, *, window: timedelta, now: datetime) -> None:
        window_id, _ = window_bounds(now, window)
        full_key = f"{self.prefix}{key}:{window_id}"
        # Only an existing counter: DECR would create a missing key at -1, a free attempt.
        await self.redis.eval(_DECREMENT_IF_POSITIVE, 1, full_key)

    async def count(self, key: str, *, window: timedelta, now: datetime) -> int:
        window_id, _ = window_bounds(now, window)
        value = await self.redis.get(f"{self.prefix}{key}:{window_id}")
        return int(value or 0)

    async def lock(self, key: str, *, until: datetime, now: datetime) -> None:
        ttl = max(int((until - now).total_seconds()), 1)
        await self.redis.set(f"{self.prefix}lock:{key}", until.isoformat(), ex=ttl + 60)

    async def locked_until(self, key: str, *, now: datetime) -> datetime | None:
        value = await self.redis.get(f"{self.prefix}lock:{key}")
        if value is None:
            return None
        until = datetime.fromisoformat(value.decode() if isinstance(value, bytes) else value)
        return until if until > now else None

    async def clear(self, key: str, *, window: timedelta, now: datetime) -> None:
        window_id, _ = window_bounds(now, window)
        await self.redis.delete(f"{self.prefix}{key}:{window_id}")


class ResilientRateLimiter:
    """Counters in Redis, in PostgreSQL while Redis is unreachable; lockouts in PostgreSQL, durable."""

    def __init__(self, redis: RedisRateLimiter, postgres: PostgresRateLimiter) -> None:
        self.redis = redis
        self.postgres = postgres
        self._redis_back_at = 0.0  # monotonic time before which Redis is not tried

    async def _counter(self, on_redis: Callable[[], Awaitable[T]], on_postgres: Callable[[], Awaitable[T]]) -> T:
        if time.monotonic() >= self._redis_back_at:
            try:
                return await on_redis()
            except redis_errors(OSError) as error:
                self._redis_back_at = time.monotonic() + REDIS_PAUSE
                log.warning("redis unavailable, limits counted in PostgreSQL", error=f"{type(error).__name__}: {error}")
        return await on_postgres()

    async def hit(self, key: str, *, window: timedelta, now: datetime, amount: int = 1) -> int:
        return await self._counter(
            lambda: self.redis.hit(key, window=window, now=now, amount=amount),
            lambda: self.postgres.hit(key, window=window, now=now, amount=amount),
        )

    async def hit_many(self, amounts: Sequence[tuple[str, int]], *, window: timedelta, now: datetime) -> list[int]:
        return await self._counter(
            lambda: self.redis.hit_many(amounts, window=window, now=now),
            lambda: self.postgres.hit_many(amounts, window=window, now=now),
        )

    async def undo_hit(self, key: str, *, window: timedelta, now: datetime) -> None:
        await self._counter(
            lambda: self.redis.undo_hit(key, window=window, now=now),
            lambda: self.postgres.undo_hit(key, window=window, now=now),
        )

    async def count(self, key: str, *, window: timedelta, now: datetime) -> int:
        return await self._counter(
            lambda: self.redis.count(key, window=window, now=now),
            lambda: self.postgres.count(key, window=window, now=now),
        )

    async def clear(self, key: str, *, window: timedelta, now: datetime) -> None:
        await self._counter(
            lambda: self.redis.clear(key, window=window, now=now),
            lambda: self.postgres.clear(key, window=window, now=now),
        )
        await self.postgres.clear(key, window=window, now=now)  # what an outage counted there

    async def lock(self, key: str, *, until: datetime, now: datetime) -> None:
        await self.postgres.lock(key, until=until, now=now)

    async def locked_until(self, key: str, *, now: datetime) -> datetime | None:
        return await self.postgres.locked_until(key, now=now)


def make_rate_limiter(db: Database, redis: Any | None) -> RateLimiter:
    """The process's limiter (`Runtime.rate_limiter`): Redis with PostgreSQL behind it when configured, else
    PostgreSQL."""
    postgres = PostgresRateLimiter(db)
    return ResilientRateLimiter(RedisRateLimiter(redis), postgres) if redis is not None else postgres


async def sweep_rate_limit_counters(runtime: Runtime) -> int:
    """The background job that deletes expired PostgreSQL counters (Redis expires its own keys)."""
    limiter = runtime.rate_limiter
    postgres = limiter.postgres if isinstance(limiter, ResilientRateLimiter) else limiter
    if isinstance(postgres, PostgresRateLimiter):
        await postgres.delete_expired(now=runtime.clock.now())
    return 0  # never busy: the next sweep comes after the idle pause

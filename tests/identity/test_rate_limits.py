"""The rate limiter behaves the same on both backends: PostgreSQL counters and Redis keys."""

from __future__ import annotations

from datetime import timedelta

from services.identity.limits import PostgresRateLimiter, RateLimiter, RedisRateLimiter
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import SIGN_IN, count_rows, error_codes_of

WINDOW = timedelta(minutes=15)


async def test_hits_count_within_a_window_and_start_over_in_the_next(limiter: RateLimiter, clock: FrozenClock) -> None:
    counts = [await limiter.hit("signin-fail:phone:+79990000001", window=WINDOW, now=clock.now()) for _ in range(3)]
    clock.advance(WINDOW)
    next_window = await limiter.hit("signin-fail:phone:+79990000001", window=WINDOW, now=clock.now())

    assert counts == [1, 2, 3]
    assert next_window == 1
    assert await limiter.count("signin-fail:phone:+79990000001", window=WINDOW, now=clock.now()) == 1


async def test_keys_are_counted_apart(limiter: RateLimiter, clock: FrozenClock) -> None:
    await limiter.hit("a", window=WINDOW, now=clock.now())

    assert await limiter.hit("b", window=WINDOW, now=clock.now()) == 1


async def test_a_lock_holds_until_its_end_by_the_clock(limiter: RateLimiter, clock: FrozenClock) -> None:
    until = clock.now() + timedelta(minutes=15)
    await limiter.lock("signin:phone:+79990000001", until=until, now=clock.now())

    during = await limiter.locked_until("signin:phone:+79990000001", now=clock.now())
    clock.advance(timedelta(minutes=15))
    after = await limiter.locked_until("signin:phone:+79990000001", now=clock.now())

    assert during == until
    assert after is None
    assert await limiter.locked_until("signin:phone:+79990000002", now=clock.now()) is None


async def test_clearing_forgets_the_current_count(limiter: RateLimiter, clock: FrozenClock) -> None:
    await limiter.hit("k", window=WINDOW, now=clock.now())
    await limiter.clear("k", window=WINDOW, now=clock.now())

    assert await limiter.count("k", window=WINDOW, now=clock.now()) == 0


async def test_taking_back_a_hit_lowers_the_count_but_never_below_zero(
    limiter: RateLimiter, clock: FrozenClock
) -> None:
    await limiter.hit("k", window=WINDOW, now=clock.now())
    await limiter.hit("k", window=WINDOW, now=clock.now())

    await limiter.undo_hit("k", window=WINDOW, now=clock.now())
    one_left = await limiter.count("k", window=WINDOW, now=clock.now())
    for _ in range(2):
        await limiter.undo_hit("k", window=WINDOW, now=clock.now())
    await limiter.undo_hit("never-hit", window=WINDOW, now=clock.now())

    assert one_left == 1
    assert await limiter.count("k", window=WINDOW, now=clock.now()) == 0
    assert await limiter.hit("never-hit", window=WINDOW, now=clock.now()) == 1


async def test_expired_postgres_counters_are_swept(runtime: Runtime, clock: FrozenClock) -> None:
    limiter = PostgresRateLimiter(runtime.db)
    await limiter.hit("k", window=WINDOW, now=clock.now())
    clock.advance(WINDOW)

    deleted = await limiter.delete_expired(now=clock.now())

    assert deleted == 1
    assert await count_rows(runtime, "rate_limit_counter") == 0


async def test_sign_in_lockout_works_on_redis_too(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, redis_limiter: RedisRateLimiter
) -> None:
    # given: the app uses the Redis limiter
    runtime.rate_limiter = redis_limiter
    customer = await create_customer(runtime.db, now=clock.now())
    wrong = {"input": {"phone": customer.phone, "password": "Wrong2026pass"}}
    for _ in range(5):
        await gql.execute(SIGN_IN, wrong)

    # when
    data = await gql.execute(SIGN_IN, {"input": {"phone": customer.phone, "password": "Secret2026pass"}})

    # then
    assert error_codes_of(data["signIn"]) == ["TEMPORARILY_LOCKED"]
    assert await count_rows(runtime, "rate_limit_counter") == 0

"""The cost ledger (services/identity/cost_ledger.py): queries far from the budget's end are charged in the process
and sent together; near it, and for mutations, every charge goes to the shared counter at once, so refusals stay
exact. Run on both counters: PostgreSQL and the real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from services.identity.cost_budget import COST_BUDGETS, COST_WINDOW
from services.identity.cost_ledger import FLUSH_SECONDS, MARGIN_SHARE, CostLedger
from services.identity.limits import PostgresRateLimiter, RateLimiter, RedisRateLimiter, ResilientRateLimiter
from services.platform.runtime import Runtime

LIMIT = COST_BUDGETS["customer"]


@pytest_asyncio.fixture
async def ledger(limiter: RateLimiter, runtime: Runtime) -> AsyncIterator[CostLedger]:
    """The runtime's ledger, running, over the given counter; its flusher waits an hour, so that what the tests see
    before they flush does not depend on the machine's speed (the flusher has a test of its own)."""
    runtime.rate_limiter = limiter
    ledger = runtime.cost_ledger = CostLedger(runtime, flush_seconds=3600)
    ledger.start()
    yield ledger
    await ledger.stop()


async def shared(runtime: Runtime, key: str, moment_offset: timedelta = timedelta(0)) -> int:
    """What the shared counter holds for `key`'s window now."""
    return await runtime.rate_limiter.count(key, window=COST_WINDOW, now=runtime.clock.now() + moment_offset)


async def test_far_from_the_limit_queries_are_charged_here_and_sent_together(
    ledger: CostLedger, runtime: Runtime
) -> None:
    # given: a first charge (exact: the window is new to this process)
    now = runtime.clock.now()
    first = await ledger.charge(key="cost:viewer:1", role="customer", cost=1000, now=now, exact=False)
    assert await shared(runtime, "cost:viewer:1") == 1000

    # when: more, far from the limit
    later = [
        await ledger.charge(key="cost:viewer:1", role="customer", cost=1000, now=now, exact=False) for _ in range(5)
    ]

    # then: each tells exactly what is left, and the counter lags until the flush sends them all
    assert first.remaining == LIMIT - 1000
    assert [charge.remaining for charge in later] == [LIMIT - 1000 * n for n in range(2, 7)]
    assert await shared(runtime, "cost:viewer:1") == 1000
    assert await ledger.spent("cost:viewer:1", now=now) == 6000
    await ledger.flush()
    assert await shared(runtime, "cost:viewer:1") == 6000


async def test_the_flusher_sends_pending_charges_by_itself(limiter: RateLimiter, runtime: Runtime) -> None:
    runtime.rate_limiter = limiter
    ledger = CostLedger(runtime)  # the process's flush interval
    ledger.start()
    now = runtime.clock.now()
    await ledger.charge(key="cost:viewer:2", role="customer", cost=10, now=now, exact=False)
    await ledger.charge(key="cost:viewer:2", role="customer", cost=10, now=now, exact=False)
    assert await shared(runtime, "cost:viewer:2") == 10
    for _ in range(50):
        await asyncio.sleep(FLUSH_SECONDS)
        if await shared(runtime, "cost:viewer:2") == 20:
            break
    assert await shared(runtime, "cost:viewer:2") == 20
    await ledger.stop()


async def test_the_margin_is_where_local_charging_stops(ledger: CostLedger, runtime: Runtime) -> None:
    # given: a known count that leaves exactly the margin after a query of 1,000
    now = runtime.clock.now()
    margin = int(LIMIT * MARGIN_SHARE)
    start = LIMIT - margin - 1000
    await ledger.charge(key="cost:viewer:3", role="customer", cost=start, now=now, exact=False)

    # when: a query that leaves exactly the margin, then one that would leave one point less
    at_margin = await ledger.charge(key="cost:viewer:3", role="customer", cost=1000, now=now, exact=False)
    counter_after_local = await shared(runtime, "cost:viewer:3")
    past_margin = await ledger.charge(key="cost:viewer:3", role="customer", cost=1, now=now, exact=False)

    # then: the first stayed here, the second went to the counter at once, with what was pending
    assert at_margin.remaining == margin
    assert counter_after_local == start
    assert past_margin.remaining == margin - 1
    assert await shared(runtime, "cost:viewer:3") == start + 1000 + 1


async def test_near_the_limit_refusals_are_exact_and_charge_nothing(ledger: CostLedger, runtime: Runtime) -> None:
    now = runtime.clock.now()
    cost = 33_000
    charges = []
    for _ in range(LIMIT // cost + 2):
        charges.append(await ledger.charge(key="cost:viewer:4", role="customer", cost=cost, now=now, exact=False))

    ran = [charge for charge in charges if not charge.refused]
    assert len(ran) == LIMIT // cost  # every query that fits ran, then each is refused
    assert all(charge.refused for charge in charges[len(ran) :])
    assert charges[len(ran)].remaining == LIMIT - len(ran) * cost  # refused whole
    assert await shared(runtime, "cost:viewer:4") == len(ran) * cost  # nothing pending: the counter is exact


async def test_another_process_spending_is_learnt_at_the_flush(ledger: CostLedger, runtime: Runtime) -> None:
    # given: this process knows the viewer's window
    now = runtime.clock.now()
    await ledger.charge(key="cost:viewer:5", role="customer", cost=1000, now=now, exact=False)
    # when: another process spends most of the budget, and this one flushes its next charge
    await runtime.rate_limiter.hit("cost:viewer:5", window=COST_WINDOW, now=now, amount=LIMIT - 20_000)
    await ledger.charge(key="cost:viewer:5", role="customer", cost=1000, now=now, exact=False)
    await ledger.flush()
    # then: it knows, and a query that no longer fits is refused at the counter
    assert await ledger.spent("cost:viewer:5", now=now) == LIMIT - 18_000
    refused = await ledger.charge(key="cost:viewer:5", role="customer", cost=20_000, now=now, exact=False)
    assert refused.refused
    assert refused.remaining == 18_000


async def test_mutations_are_charged_at_the_counter_at_once(ledger: CostLedger, runtime: Runtime) -> None:
    now = runtime.clock.now()
    await ledger.charge(key="cost:viewer:6", role="customer", cost=100, now=now, exact=False)
    await ledger.charge(key="cost:viewer:6", role="customer", cost=100, now=now, exact=False)  # pending
    await ledger.charge(key="cost:viewer:6", role="customer", cost=3, now=now, exact=True)
    assert await shared(runtime, "cost:viewer:6") == 203  # the mutation took the pending charge along


async def test_a_new_window_starts_at_the_counter_and_the_last_one_is_still_sent(
    ledger: CostLedger, runtime: Runtime
) -> None:
    now = runtime.clock.now()
    await ledger.charge(key="cost:viewer:7", role="customer", cost=100, now=now, exact=False)
    await ledger.charge(key="cost:viewer:7", role="customer", cost=100, now=now, exact=False)  # pending
    later = now + COST_WINDOW
    fresh = await ledger.charge(key="cost:viewer:7", role="customer", cost=5, now=later, exact=False)
    assert fresh.remaining == LIMIT - 5
    assert await runtime.rate_limiter.count("cost:viewer:7", window=COST_WINDOW, now=later) == 5
    await ledger.flush()
    assert await shared(runtime, "cost:viewer:7") == 200


async def test_stopping_sends_what_is_pending(ledger: CostLedger, runtime: Runtime) -> None:
    now = runtime.clock.now()
    await ledger.charge(key="cost:viewer:8", role="customer", cost=100, now=now, exact=False)
    await ledger.charge(key="cost:viewer:8", role="customer", cost=100, now=now, exact=False)
    await ledger.stop()
    assert await shared(runtime, "cost:viewer:8") == 200
    assert not ledger.live
    # stopped: every charge goes to the counter
    await ledger.charge(key="cost:viewer:8", role="customer", cost=1, now=now, exact=False)
    assert await shared(runtime, "cost:viewer:8") == 201


async def test_a_failed_flush_keeps_the_charges_for_the_next(
    ledger: CostLedger, runtime: Runtime, redis_url: str
) -> None:
    import redis.asyncio as aioredis

    now = runtime.clock.now()
    await ledger.charge(key="cost:viewer:9", role="customer", cost=100, now=now, exact=False)
    await ledger.charge(key="cost:viewer:9", role="customer", cost=100, now=now, exact=False)
    working = runtime.rate_limiter
    nowhere = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)  # nothing listens there
    runtime.rate_limiter = RedisRateLimiter(nowhere)
    try:
        with pytest.raises(Exception):  # noqa: B017, PT011 - redis-py's connection error
            await ledger.flush()
    finally:
        runtime.rate_limiter = working
        await nowhere.aclose()
    await ledger.flush()
    assert await shared(runtime, "cost:viewer:9") == 200


async def test_without_the_ledger_running_every_charge_goes_to_the_counter(runtime: Runtime) -> None:
    limiter: RateLimiter = PostgresRateLimiter(runtime.db)
    runtime.rate_limiter = limiter
    now = runtime.clock.now()
    for _ in range(3):
        await runtime.cost_ledger.charge(key="cost:viewer:10", role="customer", cost=7, now=now, exact=False)
    assert await shared(runtime, "cost:viewer:10") == 21


async def test_hit_many_counts_each_key_in_one_call(ledger: CostLedger, runtime: Runtime) -> None:
    now = runtime.clock.now()
    counts = await runtime.rate_limiter.hit_many([("k:a", 3), ("k:b", 4), ("k:a", 5)], window=COST_WINDOW, now=now)
    assert counts == [3, 4, 8]
    assert await runtime.rate_limiter.hit_many([], window=COST_WINDOW, now=now) == []


class _Held:
    """The real limiter, whose calls wait for `release` (to cancel them while they are in flight)."""

    def __init__(self, inner: RateLimiter) -> None:
        self.inner = inner
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def hit(self, key: str, **kwargs: Any) -> int:
        self.entered.set()
        await self.release.wait()
        return await self.inner.hit(key, **kwargs)

    async def hit_many(self, amounts: Any, **kwargs: Any) -> list[int]:
        self.entered.set()
        await self.release.wait()
        return await self.inner.hit_many(amounts, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def _cancelled_in_flight(
    ledger: CostLedger, runtime: Runtime, key: str, call: Callable[[], Coroutine[Any, Any, Any]]
) -> None:
    """Two charges pending for `key`, then `call` cancelled while its round trip to the counter is in flight."""
    now = runtime.clock.now()
    await ledger.charge(key=key, role="customer", cost=100, now=now, exact=False)
    await ledger.charge(key=key, role="customer", cost=100, now=now, exact=False)  # pending
    working = runtime.rate_limiter
    held = _Held(working)
    runtime.rate_limiter = held  # type: ignore[assignment]
    in_flight = asyncio.create_task(call())
    await held.entered.wait()
    in_flight.cancel()
    with pytest.raises(asyncio.CancelledError):
        await in_flight
    runtime.rate_limiter = working


async def test_a_flush_cancelled_in_flight_keeps_its_charges(ledger: CostLedger, runtime: Runtime) -> None:
    await _cancelled_in_flight(ledger, runtime, "cost:viewer:11", ledger.flush)  # e.g. the process stopping
    await ledger.flush()
    assert await shared(runtime, "cost:viewer:11") == 200


async def test_a_cancelled_request_does_not_lose_what_was_pending(ledger: CostLedger, runtime: Runtime) -> None:
    def mutation() -> Coroutine[Any, Any, Any]:  # the client goes away during the exact charge
        return ledger.charge(key="cost:viewer:12", role="customer", cost=3, now=runtime.clock.now(), exact=True)

    await _cancelled_in_flight(ledger, runtime, "cost:viewer:12", mutation)
    await ledger.flush()
    assert await shared(runtime, "cost:viewer:12") == 200  # the pending charge was sent; the cancelled one never ran


async def test_past_windows_are_forgotten_without_any_local_charge(ledger: CostLedger, runtime: Runtime) -> None:
    now = runtime.clock.now()
    await ledger.charge(key="cost:ip:10.0.0.1", role="anonymous", cost=5, now=now, exact=True)
    assert "cost:ip:10.0.0.1" in ledger._entries
    await ledger.charge(key="cost:ip:10.0.0.2", role="anonymous", cost=5, now=now + COST_WINDOW, exact=True)
    assert set(ledger._entries) == {"cost:ip:10.0.0.2"}


async def test_with_redis_away_the_flush_counts_in_postgresql(runtime: Runtime) -> None:
    import redis.asyncio as aioredis

    nowhere = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    postgres = PostgresRateLimiter(runtime.db)
    runtime.rate_limiter = ResilientRateLimiter(RedisRateLimiter(nowhere), postgres)
    ledger = runtime.cost_ledger = CostLedger(runtime, flush_seconds=3600)
    ledger.start()
    try:
        now = runtime.clock.now()
        for _ in range(3):
            await ledger.charge(key="cost:viewer:13", role="customer", cost=10, now=now, exact=False)
        await ledger.flush()
        assert await postgres.count("cost:viewer:13", window=COST_WINDOW, now=now) == 30
        assert await postgres.hit_many([("k:a", 1), ("k:b", 2)], window=COST_WINDOW, now=now) == [1, 2]
    finally:
        await ledger.stop()
        await nowhere.aclose()

"""A level's awaitables stepped without a task each (schema/core/compiled/awaiting.py) answer as
`asyncio.gather(..., return_exceptions=True)` of tasks: results in order, exceptions as results, each coroutine in its
own context and inside a task, futures awaited, a bare yield, and a cancellation reaching every suspended coroutine."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from schema.core.compiled.awaiting import gather

_seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="request")


async def _value(value: Any) -> Any:
    return value


async def _after(future: asyncio.Future[Any], then: Any) -> Any:
    return (await future, then)


async def _fails() -> None:
    raise ValueError("broken")


async def _sets_and_reads(name: str, gate: asyncio.Future[None]) -> tuple[str, str]:
    before = _seen.get()
    _seen.set(name)
    await gate
    return before, _seen.get()


async def _in_task() -> bool:
    first = asyncio.current_task() is not None
    await asyncio.sleep(0)
    return first and asyncio.current_task() is not None


async def _two_awaits(first: asyncio.Future[int], second: asyncio.Future[int]) -> int:
    return await first + await second


async def test_results_in_order_with_errors_as_values() -> None:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[int] = loop.create_future()
    loop.call_later(0.01, future.set_result, 7)
    plain: asyncio.Future[str] = loop.create_future()
    plain.set_result("done")
    results = await gather([_value(1), _after(future, "x"), _fails(), plain, _value(None)])
    assert results[0] == 1
    assert results[1] == (7, "x")
    assert isinstance(results[2], ValueError)
    assert results[3:] == ["done", None]


async def test_same_answers_as_asyncio_gather() -> None:
    def awaitables() -> list[Any]:
        loop = asyncio.get_running_loop()
        first: asyncio.Future[int] = loop.create_future()
        second: asyncio.Future[int] = loop.create_future()
        loop.call_soon(first.set_result, 1)
        loop.call_later(0.01, second.set_result, 2)
        return [_two_awaits(first, second), _value("a"), _in_task(), _fails()]

    ours = await gather(awaitables())
    theirs = await asyncio.gather(*awaitables(), return_exceptions=True)
    assert [repr(result) for result in ours] == [repr(result) for result in theirs]


async def test_each_coroutine_has_its_own_context() -> None:
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(gate.set_result, None)
    results = await gather([_sets_and_reads("a", gate), _sets_and_reads("b", gate)])
    assert results == [("request", "a"), ("request", "b")]
    assert _seen.get() == "request"


async def test_a_failed_future_raises_inside_the_coroutine() -> None:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[int] = loop.create_future()
    loop.call_soon(future.set_exception, KeyError("gone"))
    [result] = await gather([_after(future, "never")])
    assert isinstance(result, KeyError)


async def test_cancelling_the_request_reaches_every_suspended_coroutine() -> None:
    loop = asyncio.get_running_loop()
    never: asyncio.Future[None] = loop.create_future()
    cleaned: list[str] = []

    async def waits(name: str) -> None:
        try:
            await never
        finally:
            cleaned.append(name)

    task = asyncio.ensure_future(gather([waits("a"), waits("b"), _value(1)]))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(3):
        await asyncio.sleep(0)
    assert sorted(cleaned) == ["a", "b"]
    assert never.cancelled()  # as Task.cancel cancels the future its coroutine awaits

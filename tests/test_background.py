"""The background part of a process is the list in `server.py`: each job runs a tick, the hooks start and stop."""

from __future__ import annotations

import asyncio

import pytest

from server import BACKGROUND, start_background, stop_background
from services.platform.background import STOP_RETRY_SECONDS, Background, Job
from services.platform.listener import PostgresListener
from services.platform.runtime import Runtime
from tests.support.wakes import AlwaysLive


async def test_every_listed_job_runs_a_tick(runtime: Runtime) -> None:
    names = [job.name for job in BACKGROUND.jobs]

    done = [await job.run_once(runtime) for job in BACKGROUND.jobs]

    assert sorted(names) == [
        "analytics-rollups",
        "billing-close",
        "deliver-messages",
        "e-receipts",
        "outbox-relay",
        "reading-processor",
        "settle-stale-payments",
        "sweep-rate-limits",
    ]
    assert all(isinstance(count, int) and count >= 0 for count in done)


async def test_the_hooks_start_the_session_guards_feed_and_stop_it(runtime: Runtime) -> None:
    tasks = await start_background(runtime, serve_jobs=False)  # as tests run it: hooks only
    listening = runtime.session_guard.trusted
    await stop_background(runtime, tasks)

    assert tasks == []
    assert listening
    assert not runtime.session_guard.trusted


class _SwallowingWake(AlwaysLive):
    """A wake whose wait swallows the first cancellation it gets, as Python 3.11's `asyncio.wait_for` does when the
    awaited event is set at the same moment."""

    def __init__(self) -> None:
        self.swallowed = 0

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.sleep(timeout)
        except asyncio.CancelledError:
            if self.swallowed:
                raise
            self.swallowed += 1


async def test_stopping_ends_a_job_that_swallowed_its_cancellation(runtime: Runtime) -> None:
    # given: a job waiting on a wake that swallows the first cancellation
    wake = _SwallowingWake()

    async def nothing(_: Runtime) -> int:
        return 0

    background = Background(jobs=[Job(name="idle", run_once=nothing, wake=lambda _: wake, woken_idle_seconds=3600)])
    tasks = await background.start(runtime)
    await asyncio.sleep(0.05)

    # when
    stopping = asyncio.create_task(background.stop(runtime, tasks))
    await asyncio.wait({stopping}, timeout=4 * STOP_RETRY_SECONDS + 5)

    # then: it was cancelled again, and ended
    assert stopping.done(), "the stop hung on a job that swallowed its cancellation"
    assert wake.swallowed == 1
    assert all(task.done() for task in tasks)


async def test_a_listeners_wait_is_cancelled_even_when_notified_at_the_same_moment() -> None:
    listener = PostgresListener("postgresql://unused", "lk_test_channel")  # `wait` needs no connection
    waiting = asyncio.create_task(listener.wait(60))
    await asyncio.sleep(0.01)

    listener.notify()  # the notification and the cancellation in the same turn of the loop
    waiting.cancel()

    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert waiting.cancelled()

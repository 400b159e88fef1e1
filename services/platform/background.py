"""Background processors of a process: the outbox relay, message delivery, reading processing, ….

Each is a `Job`: a coroutine run once per tick, which returns how much it did. Which jobs and start-up / shutdown hooks
a process has is listed where the app is assembled (`server.py`); nothing registers itself by being imported. The
server runs them beside HTTP; `server.py worker` runs them alone. Several processes may run the same job: jobs claim
work with `FOR UPDATE SKIP LOCKED`, so no item is handled twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from services.platform.runtime import Runtime

log = structlog.get_logger("background")

Hook = Callable[[Runtime], Awaitable[None]]


class Wake(Protocol):
    """Tells an idle job there is work before its pause ends (`services.platform.listener.PostgresListener`)."""

    @property
    def live(self) -> bool: ...  # whether it can tell now; while not, the job polls every `idle_seconds`

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def clear(self) -> None: ...  # before a tick: a wake-up during the tick makes the next wait return at once
    async def wait(self, timeout: float) -> None: ...


STOP_RETRY_SECONDS = 1.0  # how often a job that has not ended is cancelled again while the process stops


@dataclass(frozen=True)
class Job:
    name: str
    run_once: Callable[[Runtime], Awaitable[int]]
    idle_seconds: float = 0.5  # how long to wait after a tick that found nothing to do
    # Wakes the job when there is work (e.g. a PostgreSQL notification); while it is live, the idle pause is
    # `woken_idle_seconds` instead, a fallback poll: minutes, so that an idle process makes no statements (issue 15).
    wake: Callable[[Runtime], Wake] | None = None
    woken_idle_seconds: float = 300.0
    # Work no notification announces (a retry whose time comes): seconds until the next, None when there is none.
    # Asked after a woken job's idle tick; the pause then ends at that time (at least `idle_seconds` on).
    due: Callable[[Runtime], Awaitable[float | None]] | None = None


@dataclass(frozen=True)
class Background:
    """A process's background part: hooks run when it starts and stops, and the jobs run in between."""

    jobs: Sequence[Job] = ()
    startup: Sequence[Hook] = ()  # run in order before the jobs start (e.g. connecting the event broker)
    shutdown: Sequence[Hook] = ()  # run in order after the jobs stop

    async def start(
        self, runtime: Runtime, *, serve_jobs: bool = True, exclude: Collection[str] = ()
    ) -> list[asyncio.Task[None]]:
        """Run the start-up hooks, then (unless `serve_jobs` is false) start every job not in `exclude`."""
        for hook in self.startup:
            await hook(runtime)
        if not serve_jobs:
            return []
        return [
            asyncio.create_task(run_job_forever(runtime, job), name=f"job:{job.name}")
            for job in self.jobs
            if job.name not in exclude
        ]

    async def stop(self, runtime: Runtime, tasks: list[asyncio.Task[None]]) -> None:
        for task in tasks:
            task.cancel()
        for task in tasks:
            # Cancelled again until it ends: code a job awaits may swallow one cancellation (Python 3.11's
            # `asyncio.wait_for` does when its inner wait ends at the same moment), and the stop must not hang.
            while not task.done():
                await asyncio.wait({task}, timeout=STOP_RETRY_SECONDS)
                if not task.done():
                    task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for hook in self.shutdown:
            with contextlib.suppress(Exception):
                await hook(runtime)


async def run_job_forever(runtime: Runtime, job: Job) -> None:
    wake = job.wake(runtime) if job.wake is not None else None
    if wake is None:
        await _run_ticks(runtime, job, None)
        return
    await wake.start()
    try:
        await _run_ticks(runtime, job, wake)
    finally:
        await wake.stop()


async def _run_ticks(runtime: Runtime, job: Job, wake: Wake | None) -> None:
    from services.platform.observability import observe_job

    while True:
        if wake is not None:
            wake.clear()  # a wake-up during the tick is not lost: the wait below returns at once
        failed = False
        try:
            done = await job.run_once(runtime)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job failed", job=job.name)
            observe_job(job.name, None)
            done, failed = 0, True
        else:
            observe_job(job.name, done)
        if done:
            continue
        if wake is None:
            await asyncio.sleep(job.idle_seconds)
        else:
            # A failed tick left its work undone (e.g. Redis away for the relay): retried at the short poll.
            await wake.wait(await _woken_pause(runtime, job) if wake.live and not failed else job.idle_seconds)


async def _woken_pause(runtime: Runtime, job: Job) -> float:
    """How long a woken job waits for a notification: until its next known work (`due`), else its fallback poll."""
    if job.due is None:
        return job.woken_idle_seconds
    try:
        due = await job.due(runtime)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("job's next work unknown", job=job.name)
        return job.idle_seconds
    if due is None:
        return job.woken_idle_seconds
    return min(job.woken_idle_seconds, max(job.idle_seconds, due))

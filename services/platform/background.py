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

import structlog

from services.platform.runtime import Runtime

log = structlog.get_logger("background")

Hook = Callable[[Runtime], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    name: str
    run_once: Callable[[Runtime], Awaitable[int]]
    idle_seconds: float = 0.5  # how long to wait after a tick that found nothing to do


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
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for hook in self.shutdown:
            with contextlib.suppress(Exception):
                await hook(runtime)


async def run_job_forever(runtime: Runtime, job: Job) -> None:
    while True:
        try:
            done = await job.run_once(runtime)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job failed", job=job.name)
            done = 0
        if not done:
            await asyncio.sleep(job.idle_seconds)

"""Background processors of a process: the outbox relay, message delivery, reading processing, ….

Each is a `Job`: a coroutine run once per tick, which returns how much it did. The server runs them beside HTTP;
`server.py worker` runs them alone. Several processes may run the same job: jobs claim work with
`FOR UPDATE SKIP LOCKED`, so no item is handled twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

import structlog

from services.platform.runtime import Runtime

log = structlog.get_logger("background")


@dataclass(frozen=True)
class Job:
    name: str
    run_once: Callable[[Runtime], Awaitable[int]]
    idle_seconds: float = 0.5  # how long to wait after a tick that found nothing to do


# Domain packages register their jobs here at import time (see `services.jobs`).
JOBS: list[Job] = []

# Hooks run when a process starts / stops its background part (e.g. connecting the event broker).
STARTUP_HOOKS: list[Callable[[Runtime], Awaitable[None]]] = []
SHUTDOWN_HOOKS: list[Callable[[Runtime], Awaitable[None]]] = []


async def run_job_forever(runtime: Runtime, job: Job) -> None:
    from services.platform.observability import observe_job

    while True:
        try:
            done = await job.run_once(runtime)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job failed", job=job.name)
            observe_job(job.name, None)
            done = 0
        else:
            observe_job(job.name, done)
        if not done:
            await asyncio.sleep(job.idle_seconds)


async def start_background(
    runtime: Runtime, *, serve_jobs: bool = True, exclude: Collection[str] = ()
) -> list[asyncio.Task[None]]:
    import services.jobs  # noqa: F401  (registers the domain jobs and hooks)

    for hook in STARTUP_HOOKS:
        await hook(runtime)
    if not serve_jobs:
        return []
    return [
        asyncio.create_task(run_job_forever(runtime, job), name=f"job:{job.name}")
        for job in JOBS
        if job.name not in exclude
    ]


async def stop_background(runtime: Runtime, tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    for hook in reversed(SHUTDOWN_HOOKS):
        with contextlib.suppress(Exception):
            await hook(runtime)

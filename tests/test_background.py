"""The background part of a process is the list in `server.py`: each job runs a tick, the hooks start and stop."""

from __future__ import annotations

from server import BACKGROUND, start_background, stop_background
from services.platform.runtime import Runtime


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

"""The identity part of every process: the session guard, and expired rate-limit rows swept away."""

from __future__ import annotations

from services.identity.guard import install_session_guard
from services.identity.limits import PostgresRateLimiter, rate_limiter
from services.platform.background import JOBS, STARTUP_HOOKS, Job
from services.platform.runtime import Runtime


async def sweep_rate_limit_counters(runtime: Runtime) -> int:
    limiter = rate_limiter(runtime)
    if isinstance(limiter, PostgresRateLimiter):
        await limiter.delete_expired(now=runtime.clock.now())
    return 0  # never busy: the next sweep comes after the idle pause


STARTUP_HOOKS.append(install_session_guard)
JOBS.append(Job(name="sweep-rate-limits", run_once=sweep_rate_limit_counters, idle_seconds=300))

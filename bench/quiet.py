"""Waiting for a benchmark's database to be quiet before driving a server.

A server that starts runs its start-up work in the background: the analytics rollups' refresh (about 30 s of
PostgreSQL's time over 100,000 accounts) and, once per month, the billing close. Driven meanwhile, whichever server
is measured first shares the machine with that work, and the comparison measures the start-up jobs, not the servers.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

ACTIVE = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
  AND backend_type = 'client backend'
"""


async def wait_for_quiet_database(dsn: str, *, settle: float = 2.0, timeout: float = 300.0) -> float:
    """Wait until no other session of the database has run a statement for `settle` seconds; the seconds waited.

    Gives up after `timeout` (a server may be busy for good: the benchmark then measures it as it is)."""
    started = time.monotonic()
    connection = await asyncpg.connect(dsn)
    try:
        quiet_since: float | None = None
        while time.monotonic() - started < timeout:
            now = time.monotonic()
            if await connection.fetchval(ACTIVE):
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= settle:
                break
            await asyncio.sleep(0.1)
    finally:
        await connection.close()
    return time.monotonic() - started

"""Monthly rollups behind the analysts' aggregates: materialized views at the grain of the filters.

Each view groups its source by month (and zone, method, source …) and by the account's locality, object kind and
tariff category, the dimensions analysts filter on. An account has one of each, so counts of distinct accounts
(or meters) add up across the groups of one month exactly. A year over 100,000 accounts then reads a few thousand
rows instead of millions. The views are refreshed by the `analytics-rollups` job (every ROLLUP_SECONDS) and by
`refresh_rollups`: aggregates are as fresh as the last refresh, which the job keeps within minutes.

The views themselves are created by migration isu_0003 (SQL there, mirrored by ROLLUPS here).
"""

from __future__ import annotations

import sqlalchemy as sa

from services.platform.database import Database
from services.platform.runtime import Runtime

ROLLUP_SECONDS = 15 * 60.0
ROLLUPS = (
    "analytics_consumption",
    "analytics_charges",
    "analytics_payments",
    "analytics_readings",
    "analytics_debt_part",
    "analytics_linked",
    "analytics_submitting",
    "analytics_appeal",
    "analytics_load",
)
# pg_try_advisory_lock key: one process refreshes at a time ("ANLYT").
_LOCK_KEY = 0x414E4C5954


async def refresh_rollups(*, db: Database, concurrently: bool = True) -> bool:
    """Recompute every rollup, unless another process is doing it (False then). CONCURRENTLY lets analysts read the
    old rows meanwhile (it needs the unique indexes the migration made). The lock is the transaction's own, on the
    connection that refreshes: released by the commit, never held by a second connection."""
    mode = " CONCURRENTLY" if concurrently else ""
    async with db.session() as session:
        connection = await session.connection()
        locked = (
            await connection.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        ).scalar()
        if not locked:
            return False
        for view in ROLLUPS:
            await connection.execute(sa.text(f"REFRESH MATERIALIZED VIEW{mode} {view}"))
        await session.commit()
    return True


async def refresh_once(runtime: Runtime) -> int:
    """The job's tick: refresh unless another process is doing it; 0 so the job waits ROLLUP_SECONDS."""
    await refresh_rollups(db=runtime.db)
    return 0

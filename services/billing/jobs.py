"""The scheduled period close: on the 1st of the month, from BILLING_CLOSE_TIME (Moscow time), the month just ended.

A tick is cheap when there is nothing to do (one primary-key read of `billing_run`); a run that a restart cut short is
finished by the next tick, since only accounts without a statement are billed.
"""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
import structlog

from services.billing.calendar import closable_period
from services.billing.close import close_period
from services.platform.clock import LOCAL_TZ
from services.platform.database import run
from services.platform.runtime import Runtime

log = structlog.get_logger("billing")


def close_due(*, now: datetime, close_time: str) -> bool:
    """Whether the close of the month just ended may start at `now` (from the 1st at `close_time`, Moscow time)."""
    local = now.astimezone(LOCAL_TZ)
    hours, minutes = (int(part) for part in close_time.split(":"))
    return local.day > 1 or local.time() >= time(hours, minutes)


async def close_once(runtime: Runtime) -> int:
    settings = runtime.settings
    if settings.billing_mode != "internal":
        return 0
    now = runtime.clock.now()
    if not close_due(now=now, close_time=settings.billing_close_time):
        return 0
    period = closable_period(now=now)
    async with runtime.db.session() as session:
        finished = (
            await run(
                session,
                sa.text("SELECT finished_at IS NOT NULL FROM billing_run WHERE period = :period"),
                {"period": period},
            )
        ).scalar()
    if finished:
        return 0
    result = await close_period(db=runtime.db, period=period, now=now)
    log.info("period closed", period=f"{period:%Y-%m}", statements=result.statements, seconds=round(result.seconds, 1))
    return 0  # nothing more to do until the next month: idle between ticks

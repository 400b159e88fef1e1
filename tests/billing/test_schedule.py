"""When the scheduled close may run, and the key-rate command the admin extends the table with."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.billing.calendar import closable_period
from services.billing.jobs import close_due, close_once
from services.billing.key_rates import add_key_rate, load_key_rates
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.billing.test_close import rows


def test_the_close_starts_on_the_1st_from_the_configured_moscow_time() -> None:
    # 02:59 and 03:00 Moscow time are 23:59 and 00:00 UTC
    assert not close_due(now=datetime(2026, 11, 30, 23, 59, tzinfo=UTC), close_time="03:00")
    assert close_due(now=datetime(2026, 12, 1, 0, 0, tzinfo=UTC), close_time="03:00")
    assert close_due(now=datetime(2026, 12, 2, 0, 0, tzinfo=UTC), close_time="23:00")  # a missed 1st catches up
    assert closable_period(now=datetime(2026, 11, 30, 21, 0, tzinfo=UTC)) == date(2026, 11, 1)  # 1 Dec 00:00 MSK


async def test_the_job_closes_the_month_just_ended_once(runtime: Runtime, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    await close_once(runtime)
    assert await rows(runtime.db, "SELECT count(*) FROM statement WHERE period = '2026-11-01'") == [(0,)]
    clock.set(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    await close_once(runtime)
    issued = await rows(runtime.db, "SELECT count(*) FROM statement WHERE period = '2026-11-01'")
    assert issued[0][0] > 0
    assert await rows(runtime.db, "SELECT finished_at FROM billing_run WHERE period = '2026-11-01'") == [(clock.now(),)]


async def test_external_billing_mode_closes_nothing(runtime: Runtime, clock: FrozenClock) -> None:
    runtime.settings.billing_mode = "external"
    clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    await close_once(runtime)
    assert await rows(runtime.db, "SELECT count(*) FROM statement WHERE period = '2026-11-01'") == [(0,)]


async def test_an_added_key_rate_applies_from_its_date(runtime: Runtime) -> None:
    async with runtime.db.session() as session:
        assert await add_key_rate(session, valid_from=date(2027, 2, 16), rate_bp=1450)
        assert not await add_key_rate(session, valid_from=date(2027, 2, 16), rate_bp=1450)
        await session.commit()
    async with runtime.db.session() as session:
        table = await load_key_rates(session)
    assert table.rate_on(date(2027, 2, 16)) == 1450
    assert table.rate_on(date(2027, 2, 15)) != 1450

"""Benchmark: each analysts' aggregate on the 100,000-account data set.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/lk_bench_analytics uv run server.py seed --accounts 100000
    uv run bench/analytics.py [--database-url postgresql://postgres@127.0.0.1:5432/lk_bench_analytics] [--runs 7]

It migrates the database, adds appeals, submissions and a year of hours of 200 smart meters when the data set has
none (the seed makes none), refreshes the rollups once (timed: what the `analytics-rollups` job costs), then runs each
aggregate through the real service function `--runs` times for the last 12 months, without filters and with a
locality filter, and prints the median and the worst time with the rows of the source table it summarizes.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from services.analytics import aggregates  # noqa: E402
from services.analytics.filters import Filters  # noqa: E402
from services.analytics.rollups import refresh_rollups  # noqa: E402
from services.cabinet.periods import add_months, month_start  # noqa: E402
from services.platform.clock import LOCAL_TZ, FrozenClock  # noqa: E402
from services.platform.database import Database, run  # noqa: E402
from services.platform.migrate import upgrade_to_head  # noqa: E402

SOURCES = {
    "consumption by month and zone": "charge",
    "charges by month": "charge",
    "payments by month and method": "payment",
    "debt by age and locality": "statement",
    "reading sources by month": "reading",
    "customers submitting by month": "reading_submission",
    "appeals by topic and status": "appeal",
    "load curves": "isu_hourly_profile",
}


async def _count(db: Database, table: str) -> int:
    async with db.connection() as connection:
        return int((await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())


# The seeded data set has no appeals, submissions or smart-meter hours: the benchmark adds its own, once.
SYNTHETIC = (
    (
        "appeal",
        """
        INSERT INTO appeal (customer_id, target_kind, account_id, target_number, topic, status, created_at,
            last_message_at, customer_read_up_to, operator_read_up_to)
        SELECT l.customer_id, 'ACCOUNT', l.account_id, a.number,
            (ARRAY['LK_QUESTION', 'ISU_QUESTION', 'METER_REPLACEMENT_SEALING', 'INSTALLMENT_PLAN', 'PAPER_RECEIPT',
                   'OTHER'])[1 + l.id % 6],
            (ARRAY['OPEN', 'ANSWERED', 'AWAITING_OPERATOR', 'CLOSED'])[1 + l.id % 4],
            now() - (l.id % 400) * interval '1 day', now(), 0, 0
        FROM account_link AS l JOIN personal_account AS a ON a.id = l.account_id
        WHERE l.id % 3 = 0
        """,
    ),
    (
        "appeal_message",
        """
        INSERT INTO appeal_message (appeal_id, author_id, author_role, text, created_at)
        SELECT id, customer_id, 'CUSTOMER', 'вопрос', created_at FROM appeal
        UNION ALL
        SELECT id, customer_id, 'OPERATOR', 'ответ', created_at + (id % 2000) * interval '1 minute'
        FROM appeal WHERE status <> 'OPEN'
        """,
    ),
    (
        "reading_submission",
        """
        INSERT INTO reading_submission (meter_id, account_id, customer_id, idempotency_key, status, period,
            submitted_at, status_changed_at)
        SELECT m.id, l.account_id, l.customer_id, 'bench-' || m.id || '-' || k, 'PROCESSED',
            date_trunc('month', now() - k * interval '1 month')::date, now() - k * interval '1 month',
            now() - k * interval '1 month'
        FROM account_link AS l JOIN meter AS m ON m.account_id = l.account_id, generate_series(1, 12) AS k
        WHERE (l.id + k) % 4 = 0
        """,
    ),
    (
        "isu_hourly_profile",
        """
        WITH points AS (
            INSERT INTO metering_point (meter_id, account_id, code, delivery_point_code, address, current_ratio,
                voltage_ratio, connected_on)
            SELECT m.id, m.account_id, 'BENCH' || m.id, 'BENCH' || m.id, a.locality, 1, 1, '2024-01-01'
            FROM meter AS m JOIN personal_account AS a ON a.id = m.account_id
            ORDER BY m.id LIMIT 200
            RETURNING id
        )
        INSERT INTO isu_hourly_profile (metering_point_id, hour, a_plus_wh, a_minus_wh, r_plus_varh, r_minus_varh)
        SELECT points.id, at, 200 + (extract(hour FROM at)::integer * 37 + points.id) % 500, 0, 30, 1
        FROM points, generate_series(date_trunc('hour', now()) - interval '8760 hours',
                                     date_trunc('hour', now()) - interval '1 hour', interval '1 hour') AS at
        """,
    ),
)


async def _add_synthetic(db: Database) -> None:
    for table, sql in SYNTHETIC:
        if await _count(db, table) == 0:
            async with db.session() as session:
                await run(session, sa.text(sql))
                await session.commit()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/lk_bench_analytics")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    db = Database.from_url(args.database_url, pool_size=2)
    try:
        async with db.connection() as connection:
            await upgrade_to_head(connection)
        accounts = await _count(db, "personal_account")
        if accounts < 1000:
            raise SystemExit(
                f"{accounts} accounts: seed first (DATABASE_URL=… uv run server.py seed --accounts 100000)"
            )
        async with db.connection() as connection:
            locality = (
                await connection.execute(
                    sa.text("SELECT locality FROM personal_account GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
                )
            ).scalar_one()
        await _add_synthetic(db)
        clock = FrozenClock(datetime.now(UTC))
        this_month = month_start(clock.now().astimezone(LOCAL_TZ).date())
        year_from, year_to = add_months(this_month, -12), this_month
        started = time.perf_counter()
        await refresh_rollups(db=db, concurrently=True)
        refresh = time.perf_counter() - started

        calls: dict[str, Callable[[Filters], Awaitable[list[Any]]]] = {
            "consumption by month and zone": lambda f: aggregates.consumption_by_month_and_zone(db=db, filters=f),
            "charges by month": lambda f: aggregates.charges_by_month(db=db, filters=f),
            "payments by month and method": lambda f: aggregates.payments_by_month_and_method(db=db, filters=f),
            "debt by age and locality": lambda f: aggregates.debt_by_age_and_locality(db=db, clock=clock, filters=f),
            "reading sources by month": lambda f: aggregates.reading_sources_by_month(db=db, filters=f),
            "customers submitting by month": lambda f: aggregates.customers_submitting_by_month(db=db, filters=f),
            "appeals by topic and status": lambda f: aggregates.appeals_by_topic_and_status(db=db, filters=f),
            "load curves": lambda f: aggregates.load_curves(db=db, filters=f),
        }
        print(f"{accounts:,} accounts; rollups refreshed (CONCURRENTLY) in {refresh:.1f} s; {args.runs} runs each")
        print(f"{'aggregate':<32}{'filter':<22}{'source rows':>13}{'rows out':>10}{'median ms':>11}{'max ms':>9}")
        for name, call in calls.items():
            source_rows = await _count(db, SOURCES[name])
            for label, filters in (
                ("12 months", Filters(period_from=year_from, period_to=year_to)),
                ("12 months, locality", Filters(period_from=year_from, period_to=year_to, locality=locality)),
            ):
                await call(filters)  # warm the plan and the cache
                times = []
                for _ in range(args.runs):
                    started = time.perf_counter()
                    rows = await call(filters)
                    times.append((time.perf_counter() - started) * 1000)
                print(
                    f"{name:<32}{label:<22}{source_rows:>13,}{len(rows):>10}"
                    f"{statistics.median(times):>11.1f}{max(times):>9.1f}"
                )
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())

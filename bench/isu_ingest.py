"""Benchmark: a million hourly rows from a head-end CSV file through the ingest (`server.py isu-import`).

uv run bench/isu_ingest.py [--rows 1000000] [--database NAME]
    [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

It (re)creates the database `lk_bench_isu` (or --database) on that server, migrates it, adds the metering points the
file speaks of (8,760 hours each), writes the CSV file to a temporary folder and loads it three times with the real
code path (`services.isu.files.import_file`: CSV parsing, validation, COPY into staging tables, set-based insert, gaps):
the first load, the same file again (every batch's id is known: the stored reports answer) and the same rows from
another sender (every row is compared with the stored one: all duplicates). Prints a table of seconds and rows/s.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from services.integrations.service_tokens import COMMAND_LINE  # noqa: E402
from services.isu.files import import_file  # noqa: E402
from services.platform.clock import FrozenClock  # noqa: E402
from services.platform.database import Database, to_async_url  # noqa: E402
from services.platform.migrate import upgrade_to_head  # noqa: E402

BENCH_DATABASE = "lk_bench_isu"
HOURS_PER_POINT = 8760
START = datetime(2025, 11, 1, 21, 0, tzinfo=UTC)  # 2025-11-02 00:00 Moscow time
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _dsn(server_url: str, database: str) -> str:
    return (
        make_url(to_async_url(server_url))
        .set(drivername="postgresql", database=database)
        .render_as_string(hide_password=False)
    )


async def _fresh_database(server_url: str) -> str:
    admin = await asyncpg.connect(_dsn(server_url, make_url(to_async_url(server_url)).database or "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    finally:
        await admin.close()
    return make_url(to_async_url(server_url)).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


async def _points(url: str, count: int) -> list[str]:
    connection = await asyncpg.connect(_dsn(url, BENCH_DATABASE))
    try:
        account = await connection.fetchval(
            "INSERT INTO personal_account (number, address, locality, object_kind, tariff_category, residents,"
            " benefit_recipients, in_apartment_building, opened_on, created_at)"
            " VALUES ('900000001', 'г. Архангельск, ул. Бенчмарк, д. 1', 'Архангельск', 'FLAT', 'URBAN_GAS_STOVE',"
            " 1, 0, true, $1, $2) RETURNING id",
            date(2020, 1, 1),
            NOW,
        )
        codes = []
        for index in range(count):
            meter = await connection.fetchval(
                "INSERT INTO meter (account_id, serial, model, zone_count, digits, is_smart, installed_on)"
                " VALUES ($1, $2, 'CE 208 S7', 1, 6, true, $3) RETURNING id",
                account,
                f"BENCH{index:08d}",
                date(2024, 1, 1),
            )
            code = f"2901B{index:07d}"
            await connection.execute(
                "INSERT INTO metering_point (meter_id, account_id, code, delivery_point_code, address, current_ratio,"
                " voltage_ratio, connected_on) VALUES ($1, $2, $3, $3, 'г. Архангельск', 1, 1, $4)",
                meter,
                account,
                code,
                date(2024, 1, 1),
            )
            codes.append(code)
        return codes
    finally:
        await connection.close()


def _write_file(path: Path, codes: list[str], rows: int) -> None:
    hours = [(START + timedelta(hours=index)).isoformat() for index in range(HOURS_PER_POINT)]
    written = 0
    with path.open("w", encoding="utf-8") as file:
        file.write("record,point,at,a_plus_wh,a_minus_wh,r_plus_varh,r_minus_varh\n")
        for code in codes:
            for index, hour in enumerate(hours):
                if written == rows:
                    return
                file.write(f"HOUR,{code},{hour},{300 + index % 700},0,{30 + index % 70},{index % 3}\n")
                written += 1


async def main() -> None:
    global BENCH_DATABASE  # noqa: PLW0603 - one bench database per run, named on the command line
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default=BENCH_DATABASE, help="the bench database to (re)create")
    args = parser.parse_args()
    BENCH_DATABASE = args.database
    url = await _fresh_database(args.database_url)
    db = Database.from_url(url, pool_size=2)
    try:
        async with db.connection() as connection:
            await upgrade_to_head(connection)
            await connection.commit()
        codes = await _points(url, -(-args.rows // HOURS_PER_POINT))
        clock = FrozenClock(NOW)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "profile.csv"
            _write_file(path, codes, args.rows)
            size_mb = path.stat().st_size / 1e6
            print(f"{args.rows:,} hourly rows, {len(codes)} metering points, file {size_mb:.0f} MB")
            print(f"{'load':<44}{'seconds':>10}{'rows/s':>12}{'accepted':>12}{'duplicate':>12}{'refused':>10}")
            for title, sender in (
                ("first load", "head-end"),
                ("the same file again (batches known)", "head-end"),
                ("the same rows from another sender", "other-head-end"),
            ):
                started = time.perf_counter()
                reports = await import_file(db=db, clock=clock, principal=COMMAND_LINE, path=path, sender=sender)
                seconds = time.perf_counter() - started
                accepted = sum(report.accepted for report in reports)
                duplicate = sum(report.duplicate for report in reports)
                refused = sum(report.refused for report in reports)
                print(
                    f"{title:<44}{seconds:>10.2f}{args.rows / seconds:>12,.0f}"
                    f"{accepted:>12,}{duplicate:>12,}{refused:>10,}"
                )
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())

"""Benchmark: a year of hourly A+/A−/R+/R− of one smart meter, served columnar vs packed, against the raw read.

uv run bench/isu.py [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--database NAME] [--runs 30]

It (re)creates the database `lk_bench_isu_profile` (or --database), migrates it, stores 8,760 hours of one metering
point, then times (median and p90 of --runs, after a warm-up):
- the raw read: asyncpg fetching the same rows (hour and four channels) — the floor;
- the columnar lists the API serves today (HourlyProfileByPoint, four Python lists) turned into JSON by orjson;
- the packed series (PackedSeriesByPoint: JSON arrays made by PostgreSQL, embedded with orjson.Fragment) at the
  hour (every hour stored, and a second point with one hour missing: the slower gap-filling path), day and month
  resolutions, turned into the same JSON response body.
Then the same year through the real schema in process (`schema.execute` as an admin, the response encoded by orjson
as the HTTP view does): `hourlyProfile` (columnar lists, today) and `series` (packed). Server time is everything but
the HTTP transport (the cost budget's charge included: its counters in PostgreSQL, or in Redis with --redis-url as in
production). The ratio is to the raw read.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import orjson  # noqa: E402
from redis.asyncio import Redis  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from starlette.requests import Request  # noqa: E402

from loaders.isu import CHANNELS, HourlyProfileByPoint, PackedSeriesByPoint, Resolution  # noqa: E402
from models.enums import Role  # noqa: E402
from services.platform.database import Database, to_async_url  # noqa: E402
from services.platform.migrate import upgrade_to_head  # noqa: E402
from tests.support.objects import global_id  # noqa: E402

BENCH_DATABASE = "lk_bench_isu_profile"
CHANNEL_FIELDS = ("aPlusWh", "aMinusWh", "rPlusVarh", "rMinusVarh")
FIELDS = {"GraphQL": CHANNEL_FIELDS}
HOURLY_QUERY = """
query ($id: ID!, $from: DateTime!, $to: DateTime!) { node(id: $id) { ... on Meter { isu {
  profile: hourlyProfile(from: $from, to: $to) { start aPlusWh aMinusWh rPlusVarh rMinusVarh }
} } } }
"""
BASELINE_QUERY = """
query ($id: ID!) { node(id: $id) { ... on Meter { isu { profile: connectedOn } } } }
"""
SERIES_QUERY = """
query ($id: ID!, $from: DateTime!, $to: DateTime!, $resolution: IsuResolution!) { node(id: $id) { ... on Meter {
  isu { profile: series(from: $from, to: $to, resolution: $resolution) { start aPlusWh aMinusWh rPlusVarh rMinusVarh } }
} } }
"""
START = datetime(2025, 11, 1, 21, 0, tzinfo=UTC)  # 2025-11-02 00:00 Moscow time
HOURS = 8760


def _dsn(server_url: str, database: str) -> str:
    return (
        make_url(to_async_url(server_url))
        .set(drivername="postgresql", database=database)
        .render_as_string(hide_password=False)
    )


async def _prepare(server_url: str) -> tuple[str, int, int]:
    admin = await asyncpg.connect(_dsn(server_url, make_url(to_async_url(server_url)).database or "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    finally:
        await admin.close()
    url = make_url(to_async_url(server_url)).set(database=BENCH_DATABASE).render_as_string(hide_password=False)
    db = Database.from_url(url, pool_size=1)
    try:
        async with db.connection() as connection:
            await upgrade_to_head(connection)
    finally:
        await db.dispose()
    connection = await asyncpg.connect(_dsn(server_url, BENCH_DATABASE))
    try:
        account = await connection.fetchval(
            "INSERT INTO personal_account (number, address, locality, object_kind, tariff_category, residents,"
            " benefit_recipients, in_apartment_building, opened_on, created_at) VALUES ('900000001', 'x', 'x',"
            " 'FLAT', 'URBAN_GAS_STOVE', 1, 0, true, $1, now()) RETURNING id",
            date(2020, 1, 1),
        )
        meter = await connection.fetchval(
            "INSERT INTO meter (account_id, serial, model, zone_count, digits, is_smart, installed_on)"
            " VALUES ($1, 'BENCH1', 'CE 208', 1, 6, true, $2) RETURNING id",
            account,
            date(2024, 1, 1),
        )
        point = await connection.fetchval(
            "INSERT INTO metering_point (meter_id, account_id, code, delivery_point_code, address, current_ratio,"
            " voltage_ratio, connected_on) VALUES ($1, $2, 'P1', 'P1', 'x', 1, 1, $3) RETURNING id",
            meter,
            account,
            date(2024, 1, 1),
        )
        await connection.execute(
            "INSERT INTO isu_hourly_profile SELECT $1, $2::timestamptz + i * interval '1 hour', 300 + i % 977, i % 3,"
            " 30 + i % 71, i % 5 FROM generate_series(0, $3 - 1) AS i",
            point,
            START,
            HOURS,
        )
        other_meter = await connection.fetchval(
            "INSERT INTO meter (account_id, serial, model, zone_count, digits, is_smart, installed_on)"
            " VALUES ($1, 'BENCH2', 'CE 208', 1, 6, true, $2) RETURNING id",
            account,
            date(2024, 1, 1),
        )
        gappy = await connection.fetchval(
            "INSERT INTO metering_point (meter_id, account_id, code, delivery_point_code, address, current_ratio,"
            " voltage_ratio, connected_on) VALUES ($1, $2, 'P2', 'P2', 'x', 1, 1, $3) RETURNING id",
            other_meter,
            account,
            date(2024, 1, 1),
        )
        await connection.execute(
            "INSERT INTO isu_hourly_profile SELECT $1, hour, a_plus_wh, a_minus_wh, r_plus_varh, r_minus_varh"
            " FROM isu_hourly_profile WHERE metering_point_id = $2 AND hour <> $3",
            gappy,
            point,
            START + timedelta(hours=HOURS // 2),
        )
        await connection.execute("VACUUM ANALYZE isu_hourly_profile")
    finally:
        await connection.close()
    return url, int(point), int(gappy)


async def _time(runs: int, call: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    result = await call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], result


async def main() -> None:
    global BENCH_DATABASE  # noqa: PLW0603 - one bench database per run, named on the command line
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default=BENCH_DATABASE, help="the bench database to (re)create")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--redis-url", default=None, help="the cost budget's counters in Redis, as in production (else PostgreSQL)"
    )
    args = parser.parse_args()
    BENCH_DATABASE = args.database
    url, point, gappy = await _prepare(args.database_url)
    db = Database.from_url(url, pool_size=2)
    raw = await asyncpg.connect(_dsn(args.database_url, BENCH_DATABASE))
    end = START + timedelta(hours=HOURS)
    try:

        async def raw_read() -> Any:
            return await raw.fetch(
                "SELECT hour, a_plus_wh, a_minus_wh, r_plus_varh, r_minus_varh FROM isu_hourly_profile"
                " WHERE metering_point_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour",
                point,
                START,
                end,
            )

        async def columnar() -> bytes:
            profile = await HourlyProfileByPoint(db).load((point, START, HOURS))
            return orjson.dumps({"data": {"start": profile.start, "stepMinutes": 60, **profile.channels}})

        def packed(resolution: Resolution, steps: int, of: int = point) -> Callable[[], Awaitable[bytes]]:
            async def call() -> bytes:
                series = await PackedSeriesByPoint(db).load((of, START, steps, resolution))
                body = {name: orjson.Fragment(series.channels[name]) for name in CHANNELS}
                return orjson.dumps({"data": {"start": series.start, "resolution": resolution.value, **body}})

            return call

        from resolvers.root import schema
        from schema.core.context import Context
        from services.auth_tokens import Viewer
        from services.platform.clock import SystemClock
        from services.platform.runtime import Runtime
        from services.platform.settings import Settings

        redis = Redis.from_url(args.redis_url) if args.redis_url else None
        runtime = Runtime(settings=Settings(database_url=url), db=db, clock=SystemClock(), redis=redis)
        admin = Viewer(
            customer_id=0,
            role=Role.ADMIN,
            session_id=uuid.uuid4(),
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
        meter_id = global_id("Meter", await raw.fetchval("SELECT meter_id FROM metering_point WHERE id = $1", point))
        window = {"id": meter_id, "from": START.isoformat(), "to": end.isoformat()}

        # The request as the HTTP view hands it over: the cost budget reads the client's address.
        request = Request(
            {"type": "http", "method": "POST", "path": "/graphql", "headers": [], "client": ("127.0.0.1", 1)}
        )

        def graphql(query: str, variables: dict[str, Any]) -> Callable[[], Awaitable[bytes]]:
            async def call() -> bytes:
                context = Context(request=request, runtime=runtime, viewer=admin)
                async with db.read_scope():  # as the HTTP app runs each request: its reads on one connection
                    result = await schema.execute(query, variable_values=variables, context_value=context)
                assert result.errors is None, result.errors
                profile = result.data["node"]["isu"]["profile"]  # type: ignore[index]
                return orjson.dumps({"data": {"isu": profile if isinstance(profile, dict) else {}}})

            return call

        rows: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("raw asyncpg read of the rows", raw_read),
            ("columnar lists (today) + JSON", columnar),
            ("packed, HOUR + JSON", packed(Resolution.HOUR, HOURS)),
            ("packed, HOUR, one hour missing", packed(Resolution.HOUR, HOURS, gappy)),
            ("packed, DAY + JSON", packed(Resolution.DAY, HOURS // 24)),
            ("packed, MONTH + JSON", packed(Resolution.MONTH, 12)),
            ("GraphQL meter and point, no series", graphql(BASELINE_QUERY, {"id": meter_id})),
            ("GraphQL hourlyProfile (columnar)", graphql(HOURLY_QUERY, window)),
            ("GraphQL series(HOUR) (packed)", graphql(SERIES_QUERY, {**window, "resolution": "HOUR"})),
            ("GraphQL series(DAY) (packed)", graphql(SERIES_QUERY, {**window, "resolution": "DAY"})),
        ]
        print(f"{HOURS:,} hours × 4 channels of one metering point; {args.runs} runs each")
        print(f"{'what':<34}{'median ms':>11}{'p90 ms':>9}{'× raw':>8}{'values':>9}")
        raw_median = 0.0
        for title, call in rows:
            median, p90, result = await _time(args.runs, call)
            if not raw_median:
                raw_median = median
                values = len(result) * 4
            else:
                data = orjson.loads(result)["data"]
                data = data.get("isu", data)
                values = sum(len(data.get(name, ())) for name in FIELDS.get(title.split(" ")[0], CHANNELS))
            print(f"{title:<34}{median:>11.2f}{p90:>9.2f}{median / raw_median:>8.2f}{values:>9,}")
    finally:
        await raw.close()
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())

"""Benchmark: the period close over a large data set.

uv run bench/close_period.py [--database-url postgresql://postgres@127.0.0.1:5432/lk_bench_billing] [--period 2026-11]
    [--chunk 20000] [--keep]

Seed the database first (never the shared `test` one):
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/lk_bench_billing uv run server.py seed --accounts 100000
The seed bills up to the month before last; the benchmark closes the month just ended (or --period) for every open
account and prints accounts per second and statements per second. Everything it writes is rolled back at the end
(one outer transaction, the close's chunks in savepoints), so it can be run again; --keep commits instead.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from services.billing.calendar import add_months, closable_period, local_midnight, parse_period  # noqa: E402
from services.billing.close import CHUNK_ACCOUNTS, close_period  # noqa: E402
from services.platform.database import Database, TransactionalDatabase, to_async_url  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/lk_bench_billing"),
    )
    parser.add_argument("--period", help="YYYY-MM; default: the month just ended")
    parser.add_argument("--chunk", type=int, default=CHUNK_ACCOUNTS, help="accounts per transaction")
    parser.add_argument("--keep", action="store_true", help="commit the statements instead of rolling back")
    args = parser.parse_args()
    period = parse_period(args.period) if args.period else closable_period(now=datetime.now(UTC))
    now = (local_midnight(add_months(period, 1)) + timedelta(hours=3)).astimezone(UTC)  # 03:00 on the 1st, Moscow
    if args.keep:
        db: Database = Database.from_url(args.database_url, pool_size=2)
        result = await close_period(db=db, period=period, now=now, chunk_accounts=args.chunk)
        await db.dispose()
    else:
        engine = create_async_engine(to_async_url(args.database_url), pool_size=2)
        async with engine.connect() as connection:
            transaction = await connection.begin()
            db = TransactionalDatabase(engine, connection)
            accounts = (await connection.execute(text("SELECT count(*) FROM personal_account"))).scalar_one()
            started = time.perf_counter()
            result = await close_period(db=db, period=period, now=now, chunk_accounts=args.chunk)
            elapsed = time.perf_counter() - started
            charges = (
                await connection.execute(text("SELECT count(*) FROM charge WHERE period = :p"), {"p": period})
            ).scalar_one()
            await transaction.rollback()
        await engine.dispose()
        print(f"period {period:%Y-%m}, {accounts} accounts in the database, chunks of {args.chunk}")
        print(
            f"{'accounts':>10} {'statements':>11} {'charges':>9} {'seconds':>8} {'accounts/s':>11} {'statements/s':>13}"
        )
        print(
            f"{result.accounts:>10} {result.statements:>11} {charges:>9} {elapsed:>8.1f} "
            f"{result.accounts / elapsed:>11.0f} {result.statements / elapsed:>13.0f}"
        )
        return
    print(
        f"period {period:%Y-%m}: {result.statements} statements for {result.accounts} accounts "
        f"in {result.seconds:.1f} s"
    )


if __name__ == "__main__":
    asyncio.run(main())

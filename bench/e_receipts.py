"""How long a month's e-receipts take to queue after a close of 100,000 accounts.

Creates a scratch database (`lk_bench_e_receipts`, dropped at the end) on DATABASE_URL's server, migrates it,
writes N accounts with their links (a third opted in to e-receipts), one statement each and its `statement.issued`
event numbered as the relay numbers them, then runs the e-receipt handler until it has read every event and prints
a table. The emails themselves leave at EMAIL_RATE_PER_SECOND through the delivery job; that is not measured here.

Run: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test uv run python -m bench.e_receipts [--accounts 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, datetime

import asyncpg
from sqlalchemy.engine import make_url

from services.ereceipts.queue import queue_e_receipts
from services.platform.bootstrap import prepare_database
from services.platform.clock import FrozenClock
from services.platform.database import Database, to_async_url
from services.platform.runtime import Runtime
from services.platform.settings import Settings

BENCH_DATABASE = "lk_bench_e_receipts"
NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)

SEED = [
    """
    INSERT INTO personal_account (number, address, locality, object_kind, tariff_category, residents,
                                  benefit_recipients, in_apartment_building, opened_on, created_at)
    SELECT (700000000 + n)::text, 'ул. Скорная, д. ' || n, 'Архангельск', 'FLAT', 'URBAN_GAS_STOVE', 2, 0, true,
           DATE '2020-01-01', $2
    FROM generate_series(1, $1) AS n
    """,
    """
    INSERT INTO customer (phone, email, email_verified, password_hash, role, created_at, updated_at)
    SELECT '+7955' || lpad(n::text, 7, '0'), NULL, false, 'x', 'CUSTOMER', $2, $2 FROM generate_series(1, $1) AS n
    """,
    """
    INSERT INTO account_link (customer_id, account_id, linked_at, receipt_electronic, receipt_email)
    SELECT c.id, a.id, $2, a.id % 3 = 0, CASE WHEN a.id % 3 = 0 THEN 'payer' || a.id || '@example.ru' END
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM personal_account) AS a
    JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customer) AS c USING (n)
    WHERE a.n <= $1
    """,
    """
    INSERT INTO statement (account_id, period, opening_balance, charged, recalculated, paid, penalty,
                           closing_balance, issued_on, due_on, created_at)
    SELECT id, DATE '2026-10-01', 0, 150000, 0, 0, 0, 150000, DATE '2026-11-01', DATE '2026-11-15', $2
    FROM personal_account ORDER BY id LIMIT $1
    """,
    """
    INSERT INTO outbox_event (type, channels, payload, created_at, position, published_at)
    SELECT 'statement.issued', ARRAY['account:' || account_id],
           jsonb_build_object('statement_id', id, 'account_id', account_id, 'period', '2026-10-01'),
           $2, row_number() OVER (ORDER BY id), $2
    FROM statement ORDER BY id LIMIT $1
    """,
]


def _dsn(server_url: str, database: str) -> str:
    url = make_url(to_async_url(server_url)).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


async def main(accounts: int) -> None:
    server_url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    admin = await asyncpg.connect(_dsn(server_url, make_url(to_async_url(server_url)).database or "postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    try:
        url = make_url(to_async_url(server_url)).set(database=BENCH_DATABASE).render_as_string(hide_password=False)
        db = Database.from_url(url, pool_size=2)
        clock = FrozenClock(NOW)
        await prepare_database(db, clock=clock, load_demo=False)
        connection = await asyncpg.connect(_dsn(server_url, BENCH_DATABASE))
        started = time.perf_counter()
        for statement in SEED:
            await connection.execute(statement, accounts, NOW)
        await connection.execute("ANALYZE")
        seeded = time.perf_counter() - started
        runtime = Runtime(settings=Settings(_env_file=None), db=db, clock=clock)
        started = time.perf_counter()
        ticks = 0
        while await queue_e_receipts(runtime):
            ticks += 1
        queued_in = time.perf_counter() - started
        emails = await connection.fetchval("SELECT count(*) FROM outbound_message WHERE kind = 'E_RECEIPT'")
        await connection.close()
        await db.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        await admin.close()
    print(f"seeded in {seeded:.1f} s")
    print(f"{'accounts':>10} {'emails':>8} {'handler runs':>13} {'seconds':>8} {'events/s':>10}")
    print(f"{accounts:>10} {emails:>8} {ticks:>13} {queued_in:>8.2f} {accounts / queued_in:>10.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().accounts))

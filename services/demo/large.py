"""A large data set for benchmarks: households with two years of readings, charges, statements and payments.

Benchmark accounts are numbered 5XXXXXXXX and their customers' phones are +7900XXXXXXX, apart from the demo data
(29XXXXXXX, +7921…). Each run appends after the highest number and phone already there, so seeding twice gives twice
the data, never a clash; it refuses (SeedRangeExhaustedError) only when the ranges run out. Everything goes in one
transaction: an interrupted run leaves nothing behind.

Rows are generated as tuples in chunks, in a worker thread, while the previous chunk is being written with COPY.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.demo.billing import BillingContext, bill_account, random_payer
from services.demo.bulk import (
    COLUMNS,
    TABLES_WITH_ID,
    IdCounters,
    Rows,
    lock_tables,
    move_sequences_past_rows,
    transaction,
)
from services.demo.credentials import BENCH_PASSWORD, BENCH_PHONE_PREFIX
from services.demo.geography import person_name
from services.demo.households import account_series, add_account_rows, random_account
from services.demo.people import add_link, add_person, hash_passwords
from services.demo.periods import DemoCalendar
from services.demo.readings import add_reading_rows
from services.demo.reference import TariffBook, consumption_norm_rows, key_rate_rows
from services.demo.summary import DemoSummary
from services.platform.clock import Clock
from services.platform.database import Database

BENCH_SEED = "lk-bench-2026"
CHUNK_ACCOUNTS = 2_000
FIRST_NUMBER, LAST_NUMBER = 500_000_000, 599_999_999
LAST_PHONE_SUFFIX = 9_999_999
_ACCOUNTS_PER_CUSTOMER = (1, 2, 3, 4)
_ACCOUNTS_PER_CUSTOMER_CUMULATIVE = (40, 70, 90, 100)  # two on average
_NEXT_FREE = text(
    f"""
    SELECT
        (SELECT max(number) FROM personal_account WHERE number BETWEEN '{FIRST_NUMBER}' AND '{LAST_NUMBER}'),
        (SELECT max(phone) FROM customer WHERE phone LIKE '{BENCH_PHONE_PREFIX}%' AND length(phone) = 12)
    """
)


class SeedRangeExhaustedError(RuntimeError):
    """The benchmark number or phone range has no room for that many more accounts."""


@dataclass(frozen=True, slots=True)
class _Chunk:
    first_number: int
    accounts: int


async def seed_large(
    *, db: Database, clock: Clock, accounts: int, progress: Callable[[str], None] | None = None
) -> DemoSummary:
    """Append `accounts` benchmark accounts (customers sign in with BENCH_PASSWORD), then ANALYZE."""
    if accounts <= 0:
        raise ValueError("accounts must be positive")
    report = progress or (lambda _: None)
    calendar = DemoCalendar.at(clock.now())
    tariffs = TariffBook(calendar)
    context = BillingContext.build(calendar, tariffs)
    password_hash = (await hash_passwords([BENCH_PASSWORD]))[BENCH_PASSWORD]
    totals: dict[str, int] = dict.fromkeys(COLUMNS, 0)
    async with db.connection() as connection:
        inside_outer_transaction = connection.in_transaction()  # the tests': never commit it
        async with transaction(connection):
            await lock_tables(connection)
            first_number, first_phone = await _next_free(connection, accounts)
            ids = await IdCounters.after_existing(connection)
            reference = Rows()
            await _add_missing_reference(connection, reference, ids, calendar, tariffs)
            await reference.copy_into(connection)
            _add_totals(totals, reference)

            def generate(chunk: _Chunk, phone_suffix: int) -> tuple[Rows, int]:
                return _generate_chunk(
                    chunk, phone_suffix, ids=ids, calendar=calendar, context=context, password_hash=password_hash
                )

            await _copy_chunks(
                connection,
                _chunks(first_number, accounts),
                first_phone=first_phone,
                generate=generate,
                totals=totals,
                report=report,
            )
            await move_sequences_past_rows(connection, TABLES_WITH_ID)
        report("analyzing the tables")
        await connection.exec_driver_sql(f"ANALYZE {', '.join(table for table, count in totals.items() if count)}")
        if not inside_outer_transaction:
            await connection.commit()
    return DemoSummary.from_counts(totals, account_numbers=(str(first_number), str(first_number + accounts - 1)))


async def _copy_chunks(
    connection: AsyncConnection,
    chunks: list[_Chunk],
    *,
    first_phone: int,
    generate: Callable[[_Chunk, int], tuple[Rows, int]],
    totals: dict[str, int],
    report: Callable[[str], None],
) -> None:
    """Chunk n + 1 is generated in a thread while chunk n is copied, so Python and PostgreSQL work at once."""
    accounts = sum(chunk.accounts for chunk in chunks)
    pending = asyncio.create_task(asyncio.to_thread(generate, chunks[0], first_phone))
    try:
        done = 0
        for index, chunk in enumerate(chunks):
            rows, next_phone = await pending
            if index + 1 < len(chunks):
                pending = asyncio.create_task(asyncio.to_thread(generate, chunks[index + 1], next_phone))
            await rows.copy_into(connection)
            _add_totals(totals, rows)
            done += chunk.accounts
            report(f"{done}/{accounts} accounts, {sum(totals.values())} rows")
    finally:
        pending.cancel()  # after a failed COPY: nobody will wait for the chunk being generated


async def _next_free(connection: AsyncConnection, accounts: int) -> tuple[int, int]:
    """The first free account number and phone suffix after the benchmark data already there."""
    last_number, last_phone = (await connection.execute(_NEXT_FREE)).one()
    first_number = int(last_number) + 1 if last_number else FIRST_NUMBER + 1
    first_phone = int(last_phone[len(BENCH_PHONE_PREFIX) :]) + 1 if last_phone else 1
    if first_number + accounts - 1 > LAST_NUMBER:
        raise SeedRangeExhaustedError(
            f"benchmark account numbers end at {LAST_NUMBER}; {first_number - FIRST_NUMBER - 1} are taken"
        )
    if first_phone + accounts - 1 > LAST_PHONE_SUFFIX:  # at most one customer per account
        raise SeedRangeExhaustedError(f"benchmark phones {BENCH_PHONE_PREFIX}XXXXXXX run out")
    return first_number, first_phone


async def _add_missing_reference(
    connection: AsyncConnection, rows: Rows, ids: IdCounters, calendar: DemoCalendar, tariffs: TariffBook
) -> None:
    """Without the demo data the tariffs, key rates and norms are missing, and billing code needs them."""
    present = (
        await connection.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM tariff), EXISTS (SELECT 1 FROM key_rate), "
                "EXISTS (SELECT 1 FROM consumption_norm)"
            )
        )
    ).one()
    if not present[0]:
        rows["tariff"].extend(tariffs.rows(first_id=ids.take("tariff", len(tariffs.years) * 18)))
    if not present[1]:
        rows["key_rate"].extend(key_rate_rows())
    if not present[2]:
        norms = consumption_norm_rows(first_id=ids.peek("consumption_norm"), valid_from=calendar.tariff_starts[0])
        ids.take("consumption_norm", len(norms))
        rows["consumption_norm"].extend(norms)


def _chunks(first_number: int, accounts: int) -> list[_Chunk]:
    return [
        _Chunk(first_number + offset, min(CHUNK_ACCOUNTS, accounts - offset))
        for offset in range(0, accounts, CHUNK_ACCOUNTS)
    ]


def _add_totals(totals: dict[str, int], rows: Rows) -> None:
    for table, count in rows.counts().items():
        totals[table] += count


def _generate_chunk(
    chunk: _Chunk,
    first_phone_suffix: int,
    *,
    ids: IdCounters,
    calendar: DemoCalendar,
    context: BillingContext,
    password_hash: str,
) -> tuple[Rows, int]:
    """The chunk's rows and the next free phone suffix. Seeded by the chunk's first number: reproducible."""
    rng = random.Random(f"{BENCH_SEED}:{chunk.first_number}")
    rows = Rows()
    now = calendar.now
    periods = calendar.reading_periods
    months = len(calendar.payment_months)
    phone_suffix = first_phone_suffix
    number = chunk.first_number
    end = chunk.first_number + chunk.accounts
    while number < end:
        owned = min(rng.choices(_ACCOUNTS_PER_CUSTOMER, cum_weights=_ACCOUNTS_PER_CUSTOMER_CUMULATIVE)[0], end - number)
        customer = add_person(
            rows,
            ids,
            phone=f"{BENCH_PHONE_PREFIX}{phone_suffix:07d}",
            full_name=person_name(rng),
            password_hash=password_hash,
            created_at=now - timedelta(days=rng.randint(30, 700)),
        )
        phone_suffix += 1
        for _ in range(owned):
            spec = random_account(rng, ids, number=str(number), calendar=calendar, provider_ids=[])
            number += 1
            add_account_rows(rows, spec)
            add_link(rows, ids, rng, person=customer, account_id=spec.id, now=now)
            series = account_series(rows, ids, rng, spec, calendar)
            for meter_series in series:
                add_reading_rows(rows, ids, meter_series, periods)
            bill_account(
                rows,
                ids,
                rng,
                context=context,
                account_id=spec.id,
                category=spec.category,
                meters=series,
                payer=random_payer(rng, months=months, customer_id=customer.id),
            )
    return rows, phone_suffix

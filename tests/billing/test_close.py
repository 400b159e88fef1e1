"""The period close on real PostgreSQL: statements from readings, estimates, the norm, recalculation; idempotent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from models import Meter, PersonalAccount
from services.billing.close import PeriodNotEnded, close_period
from services.platform.database import Database, TransactionalDatabase, run
from tests.support.factories import create_account
from tests.support.readings import add_readings

NOW = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 03:30 Moscow time on the 1st: November may be closed
NOV = date(2026, 11, 1)


async def rows(db: Database, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with db.session() as session:
        return [tuple(row) for row in (await run(session, sa.text(sql), params)).all()]


async def snapshot(db: Database, period: date) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a close writes, without ids."""
    return {
        "statements": await rows(
            db,
            "SELECT account_id, delivery_point_id, opening_balance, charged, recalculated, vat, paid, penalty,"
            " closing_balance, issued_on, due_on FROM statement WHERE period = :p ORDER BY 1, 2",
            p=period,
        ),
        "charges": await rows(
            db,
            "SELECT c.account_id, c.delivery_point_id, c.zone, c.kind, c.basis, c.volume_kwh, c.rate_kopecks,"
            " c.amount, c.recalculated_period FROM charge c JOIN statement s ON s.id = c.statement_id"
            " WHERE s.period = :p ORDER BY 1, 2, 3, 4, 5, 9",
            p=period,
        ),
        "events": await rows(
            db,
            "SELECT (payload->>'account_id')::bigint, (payload->>'delivery_point_id')::bigint,"
            " payload->>'closing_balance', channels FROM outbox_event"
            " WHERE type = 'statement.issued' AND payload->>'period' = :p ORDER BY 1, 2",
            p=period.isoformat(),
        ),
        "debts": await rows(db, "SELECT account_id, electricity, penalty FROM account_debt ORDER BY 1"),
    }


async def test_close_issues_one_statement_per_open_account_and_a_second_run_changes_nothing(
    db: TransactionalDatabase,
) -> None:
    open_accounts = (await rows(db, "SELECT count(*) FROM personal_account WHERE closed_on IS NULL"))[0][0]
    open_accounts += (await rows(db, "SELECT count(*) FROM delivery_point"))[0][0]  # the demo's contracts are open
    first = await close_period(db=db, period=NOV, now=NOW)
    assert first.statements == open_accounts > 0
    after_first = await snapshot(db, NOV)
    assert len(after_first["statements"]) == len(after_first["events"]) == open_accounts
    # Every statement's balance rule holds and its charges add up to it.
    mismatched = await rows(
        db,
        "SELECT s.id FROM statement s LEFT JOIN charge c ON c.statement_id = s.id WHERE s.period = :p"
        " GROUP BY s.id HAVING s.closing_balance <> s.opening_balance + s.charged + s.recalculated + s.vat + s.penalty"
        " - s.paid"
        " OR s.charged <> coalesce(sum(c.amount) FILTER (WHERE c.kind = 'CONSUMPTION'), 0)"
        " OR s.recalculated <> coalesce(sum(c.amount) FILTER (WHERE c.kind = 'RECALCULATION'), 0)",
        p=NOV,
    )
    assert mismatched == []
    second = await close_period(db=db, period=NOV, now=NOW)
    assert second.statements == 0
    assert await snapshot(db, NOV) == after_first
    finished = await rows(db, "SELECT finished_at, statements FROM billing_run WHERE period = :p", p=NOV)
    assert finished == [(NOW, open_accounts)]


class Interrupted(Exception):
    pass


async def test_a_run_interrupted_half_way_then_run_again_writes_what_one_clean_run_writes(
    db: TransactionalDatabase,
) -> None:
    nested = await db.outer_connection.begin_nested()
    await close_period(db=db, period=NOV, now=NOW)
    clean = await snapshot(db, NOV)
    await nested.rollback()
    assert (await snapshot(db, NOV))["statements"] == []

    async def interrupt_second_chunk(index: int) -> None:
        if index == 1:
            raise Interrupted  # the second chunk's rows are written but its transaction never commits

    with pytest.raises(Interrupted):
        await close_period(db=db, period=NOV, now=NOW, chunk_accounts=40, before_commit=interrupt_second_chunk)
    assert len((await snapshot(db, NOV))["statements"]) == 40
    rerun = await close_period(db=db, period=NOV, now=NOW, chunk_accounts=40)
    assert rerun.statements == len(clean["statements"]) - 40
    assert await snapshot(db, NOV) == clean


async def test_a_month_that_has_not_ended_cannot_be_closed(db: TransactionalDatabase) -> None:
    with pytest.raises(PeriodNotEnded):
        await close_period(db=db, period=date(2026, 12, 1), now=NOW)
    with pytest.raises(PeriodNotEnded):
        await close_period(db=db, period=NOV, now=datetime(2026, 11, 30, 20, 59, tzinfo=UTC))  # 23:59 in Moscow


async def charges_of(db: Database, account: PersonalAccount, period: date) -> list[tuple[Any, ...]]:
    return await rows(
        db,
        "SELECT zone, kind, basis, volume_kwh, rate_kopecks, amount, recalculated_period FROM charge"
        " WHERE account_id = :a AND period = :p ORDER BY kind, recalculated_period NULLS LAST, zone",
        a=account.id,
        p=period,
    )


async def rate(
    db: Database, period: date, zone_count: int = 1, zone: str = "SINGLE", category: str = "URBAN_GAS_STOVE"
) -> int:
    found = await rows(
        db,
        "SELECT rate_kopecks FROM tariff WHERE category = :category AND zone_count = :c AND zone = :z"
        " AND valid_from <= :p AND (valid_to IS NULL OR valid_to > :p)",
        category=category,
        c=zone_count,
        z=zone,
        p=period,
    )
    return int(found[0][0])


def month(number: int) -> date:
    return date(2026, number, 1)


async def account_with_history(db: Database, *, now: datetime) -> tuple[PersonalAccount, Meter]:
    """Readings in April … July 2026, 100 kWh a month, then none."""
    account, meter = await create_account(db, now=now)
    await add_readings(db, meter, [(date(2026, m, 20), 900 + 100 * (m - 4)) for m in (4, 5, 6, 7)], now=now)
    return account, meter


async def test_three_periods_by_the_average_then_the_norm_and_a_late_reading_recalculates(
    db: TransactionalDatabase,
) -> None:
    with_reading, meter = await account_with_history(db, now=NOW)
    without, _ = await account_with_history(db, now=NOW)
    for number in range(5, 10):  # May … September
        await close_period(db=db, period=month(number), now=NOW)
    assert [row[2] for m in (5, 6, 7) for row in await charges_of(db, without, month(m))] == ["READINGS"] * 3
    # August and September: no reading, the average of May … July (100 kWh); the same for both accounts.
    for m in (8, 9):
        assert await charges_of(db, without, month(m)) == [
            ("SINGLE", "CONSUMPTION", "AVERAGE", 100, await rate(db, month(m)), 100 * await rate(db, month(m)), None)
        ]
    # A reading for October arrives: 1 560 − 1 200 = 360 kWh since July's; August's and September's estimates go back.
    await add_readings(db, meter, [(date(2026, 10, 20), 1_560)], now=NOW)
    await close_period(db=db, period=month(10), now=NOW)
    aug, sep, oct_ = await rate(db, month(8)), await rate(db, month(9)), await rate(db, month(10))
    assert await charges_of(db, with_reading, month(10)) == [
        ("SINGLE", "CONSUMPTION", "READINGS", 360, oct_, 360 * oct_, None),
        ("SINGLE", "RECALCULATION", "AVERAGE", -100, aug, -100 * aug, month(8)),
        ("SINGLE", "RECALCULATION", "AVERAGE", -100, sep, -100 * sep, month(9)),
    ]
    statement = await rows(
        db, "SELECT charged, recalculated FROM statement WHERE account_id = :a AND period = :p", a=with_reading.id,
        p=month(10),
    )  # fmt: skip
    assert statement == [(360 * oct_, -100 * (aug + sep))]
    # The other account: the 3rd period by the average, then the norm: 83 kWh (a flat) × 2 residents, single rate.
    assert [row[:4] for row in await charges_of(db, without, month(10))] == [("SINGLE", "CONSUMPTION", "AVERAGE", 100)]
    await close_period(db=db, period=NOV, now=NOW)
    nov = await rate(db, NOV)
    assert await charges_of(db, without, NOV) == [("SINGLE", "CONSUMPTION", "NORM", 166, nov, 166 * nov, None)]


async def test_wraparound_month_through_the_close(db: TransactionalDatabase) -> None:
    account, meter = await create_account(db, now=NOW, zone_count=2)
    await add_readings(db, meter, [(date(2026, 10, 20), [999_950, 400]), (date(2026, 11, 20), [30, 460])], now=NOW)
    await close_period(db=db, period=NOV, now=NOW)
    day, night = await rate(db, NOV, 2, "DAY"), await rate(db, NOV, 2, "NIGHT")
    assert await charges_of(db, account, NOV) == [
        ("DAY", "CONSUMPTION", "READINGS", 80, day, 80 * day, None),
        ("NIGHT", "CONSUMPTION", "READINGS", 60, night, 60 * night, None),
    ]

"""The period close: every open personal account gets its statement for a month that has ended.

Set-based: per chunk of accounts a handful of SQL statements read what billing needs (readings, estimates, history,
balances, payments), the engine composes the statements in memory (`statements.compose_statement`), and COPY writes
statements, charges and their `statement.issued` events; the debts move by one INSERT … SELECT. Each chunk is one
transaction under an advisory lock, and only accounts without a statement for the period are read, so a second run
changes nothing and a run killed half-way, run again, writes exactly what one clean run would have.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import orjson
import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ChargeBasis, ObjectKind, TariffCategory, TariffZone
from services.billing.allocation import Obligation, unpaid_obligations
from services.billing.calendar import add_months, local_midnight, month_end
from services.billing.estimates import AVERAGE_WINDOW_MONTHS, NormTable, load_norms
from services.billing.key_rates import KeyRateTable, load_key_rates
from services.billing.recalculation import EstimatedCharge
from services.billing.statements import AccountPeriod, PaymentIn, StatementDraft, compose_statement
from services.billing.tariffs import TariffTable, load_tariffs
from services.billing.volumes import RegisterSpan, zone_volumes
from services.outbox import account_channel
from services.platform.clock import LOCAL_TZ
from services.platform.database import Database, run

STATEMENT_ISSUED = "statement.issued"
CHUNK_ACCOUNTS = 20_000
_LOCK_KEY = 0x6C6B_B111  # pg advisory lock of the period close: one chunk at a time across processes


class PeriodNotEnded(ValueError):
    """The month has not ended yet (local time): it cannot be billed."""


@dataclass(frozen=True, slots=True)
class CloseResult:
    period: date
    accounts: int  # open accounts of the period
    statements: int  # issued by this run
    seconds: float


class _Driver(Protocol):
    async def fetch(self, query: str, *args: Any) -> list[Any]: ...
    async def execute(self, query: str, *args: Any) -> str: ...
    async def copy_records_to_table(self, table_name: str, *, records: Any, columns: Any) -> str: ...


async def _driver(session: AsyncSession) -> _Driver:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection  # type: ignore[return-value]


_OPEN_ACCOUNTS = """
SELECT a.id FROM personal_account a
WHERE a.opened_on <= $2 AND (a.closed_on IS NULL OR a.closed_on >= $1)
  AND NOT EXISTS (SELECT 1 FROM statement s WHERE s.account_id = a.id AND s.period = $1)
ORDER BY a.id
"""

_ACCOUNTS = """
SELECT a.id, a.tariff_category, a.object_kind, a.residents,
       (SELECT min(m.zone_count) FROM meter m WHERE m.account_id = a.id AND m.removed_on IS NULL) AS zone_count
FROM personal_account a WHERE a.id = ANY($1::bigint[])
"""

# Estimates (AVERAGE / NORM) that no recalculation line has taken back yet.
_ESTIMATES = """
SELECT c.account_id, c.period, c.zone, c.basis, c.volume_kwh, c.rate_kopecks FROM charge c
WHERE c.account_id = ANY($1::bigint[]) AND c.period < $2 AND c.kind = 'CONSUMPTION' AND c.basis <> 'READINGS'
  AND NOT EXISTS (
    SELECT 1 FROM charge r
    WHERE r.account_id = c.account_id AND r.kind = 'RECALCULATION' AND r.recalculated_period = c.period
      AND r.zone = c.zone AND r.basis = c.basis)
"""

# Per meter zone: the newest accepted reading counting toward the period or before, and the last one already billed
# (the newest before the first period still billed by estimate, or before the period itself).
_REGISTERS = """
WITH cut AS (
  SELECT account_id, min(period) AS first_estimated FROM unnest($1::bigint[], $2::date[]) AS e(account_id, period)
  GROUP BY account_id)
SELECT m.account_id, m.digits, z.zone, cur.value, cur.period, base.value
FROM meter m
CROSS JOIN LATERAL unnest(CASE m.zone_count WHEN 1 THEN ARRAY['SINGLE'] WHEN 2 THEN ARRAY['DAY', 'NIGHT']
                          ELSE ARRAY['PEAK', 'SEMI_PEAK', 'NIGHT'] END) AS z(zone)
LEFT JOIN cut ON cut.account_id = m.account_id
LEFT JOIN LATERAL (
  SELECT r.value, r.period FROM reading r
  WHERE r.meter_id = m.id AND r.zone = z.zone AND r.status = 'ACCEPTED' AND r.period <= $4
  ORDER BY r.taken_on DESC, r.id DESC LIMIT 1) cur ON true
LEFT JOIN LATERAL (
  SELECT r.value FROM reading r
  WHERE r.meter_id = m.id AND r.zone = z.zone AND r.status = 'ACCEPTED' AND r.period < coalesce(cut.first_estimated, $4)
  ORDER BY r.taken_on DESC, r.id DESC LIMIT 1) base ON true
WHERE m.account_id = ANY($3::bigint[]) AND m.removed_on IS NULL AND cur.value IS NOT NULL
"""

# Metered consumption of the last 12 periods per zone, and how many of them were billed at all.
_HISTORY = """
SELECT account_id, zone, sum(volume_kwh) FILTER (WHERE basis = 'READINGS') AS kwh,
       count(DISTINCT period) FILTER (WHERE kind = 'CONSUMPTION') AS months
FROM charge WHERE account_id = ANY($1::bigint[]) AND period >= $2 AND period < $3
GROUP BY account_id, zone
"""

_BALANCES = """
SELECT account_id,
       (array_agg(closing_balance ORDER BY period DESC))[1] AS opening,
       sum(penalty) AS penalty_billed,
       (array_agg(period ORDER BY period DESC))[1:24] AS periods,
       (array_agg(due_on ORDER BY period DESC))[1:24] AS dues,
       (array_agg(charged + recalculated ORDER BY period DESC))[1:24] AS amounts
FROM statement WHERE account_id = ANY($1::bigint[]) AND period < $2
GROUP BY account_id
"""

_PAYMENTS = """
SELECT account_id, paid_at, electricity, penalty FROM payment
WHERE account_id = ANY($1::bigint[]) AND status = 'SUCCEEDED' AND paid_at < $2
"""

_DEBTS = """
INSERT INTO account_debt (account_id, electricity, penalty, state_duty, updated_at)
SELECT account_id, electricity, penalty, 0, $4 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
  AS d(account_id, electricity, penalty)
ON CONFLICT (account_id) DO UPDATE SET
  electricity = account_debt.electricity + excluded.electricity,
  penalty = account_debt.penalty + excluded.penalty,
  updated_at = excluded.updated_at
"""

_STATEMENT_COLUMNS = (
    "id", "account_id", "period", "opening_balance", "charged", "recalculated", "paid", "penalty",
    "closing_balance", "issued_on", "due_on", "created_at",
)  # fmt: skip
_CHARGE_COLUMNS = (
    "account_id", "statement_id", "period", "zone", "kind", "basis", "volume_kwh", "rate_kopecks", "amount",
    "recalculated_period",
)  # fmt: skip
_EVENT_COLUMNS = ("type", "channels", "payload", "created_at")


@dataclass(frozen=True, slots=True)
class _Books:
    tariffs: TariffTable
    norms: NormTable
    key_rates: KeyRateTable


async def _inputs(driver: _Driver, *, ids: list[int], period: date) -> list[tuple[int, AccountPeriod]]:
    """What the engine needs for each account of `ids`, read with one statement per kind of data."""
    period_start, period_end = local_midnight(period), local_midnight(add_months(period, 1))
    estimates: dict[int, list[EstimatedCharge]] = defaultdict(list)
    for account_id, month, zone, basis, volume, rate in await driver.fetch(_ESTIMATES, ids, period):
        estimates[account_id].append(EstimatedCharge(month, TariffZone(zone), ChargeBasis(basis), volume, rate))
    estimated_ids = [account_id for account_id, items in estimates.items() for _ in items]
    estimated_periods = [item.period for items in estimates.values() for item in items]

    spans: dict[int, list[RegisterSpan]] = defaultdict(list)
    reading_period: dict[int, date] = {}
    for account_id, digits, zone, value, month, previous in await driver.fetch(
        _REGISTERS, estimated_ids, estimated_periods, ids, period
    ):
        first_unbilled = min((item.period for item in estimates.get(account_id, ())), default=period)
        if month < first_unbilled:
            continue  # the newest reading is the one already billed
        spans[account_id].append(RegisterSpan(TariffZone(zone), digits, previous, value))
        reading_period[account_id] = max(month, reading_period.get(account_id, month))

    history_kwh: dict[int, dict[TariffZone, int]] = defaultdict(dict)
    history_months: dict[int, int] = {}
    window_start = add_months(period, -AVERAGE_WINDOW_MONTHS)
    for account_id, zone, kwh, months in await driver.fetch(_HISTORY, ids, window_start, period):
        if kwh:
            history_kwh[account_id][TariffZone(zone)] = int(kwh)
        history_months[account_id] = max(history_months.get(account_id, 0), months)

    balances = {row[0]: row for row in await driver.fetch(_BALANCES, ids, period)}
    penalty_paid: dict[int, int] = defaultdict(int)
    in_period: dict[int, list[PaymentIn]] = defaultdict(list)
    for account_id, paid_at, electricity, penalty in await driver.fetch(_PAYMENTS, ids, period_end):
        if paid_at < period_start:
            penalty_paid[account_id] += penalty
        else:
            in_period[account_id].append(PaymentIn(paid_at.astimezone(LOCAL_TZ).date(), electricity, penalty))

    result: list[tuple[int, AccountPeriod]] = []
    for account_id, category, kind, residents, zone_count in await driver.fetch(_ACCOUNTS, ids):
        unreconciled = estimates.get(account_id, [])
        window_estimates = {item.period for item in unreconciled if item.period >= window_start}
        opening, obligations = 0, []
        balance = balances.get(account_id)
        if balance is not None:
            _, opening, penalty_billed, periods, dues, amounts = balance
            electricity_debt = opening - max(0, int(penalty_billed) - penalty_paid[account_id])
            obligations = unpaid_obligations(
                debt=electricity_debt,
                charges=[Obligation(p, d, a) for p, d, a in zip(periods, dues, amounts, strict=True)],
            )
        result.append(
            (
                account_id,
                AccountPeriod(
                    period=period,
                    category=TariffCategory(category),
                    object_kind=ObjectKind(kind),
                    residents=residents,
                    zone_count=zone_count,
                    reading_period=reading_period.get(account_id),
                    real_volumes=zone_volumes(spans.get(account_id, ())),
                    unreconciled=unreconciled,
                    history_months=max(history_months.get(account_id, 0) - len(window_estimates), 0),
                    history_volumes=history_kwh.get(account_id, {}),
                    opening_balance=opening,
                    obligations=obligations,
                    payments=sorted(in_period.get(account_id, ()), key=lambda item: item.day),
                ),
            )
        )
    return result


def _event_payload(statement_id: int, account_id: int, draft: StatementDraft) -> str:
    return orjson.dumps(
        {
            "statement_id": statement_id,
            "account_id": account_id,
            "period": draft.period.isoformat(),
            "closing_balance": draft.closing_balance,
            "issued_on": draft.issued_on.isoformat(),
            "due_on": draft.due_on.isoformat(),
        }
    ).decode()


async def _write(
    session: AsyncSession, driver: _Driver, drafts: list[tuple[int, StatementDraft]], *, now: datetime
) -> None:
    if not drafts:
        return
    first = (
        await run(
            session,
            sa.text("SELECT nextval(pg_get_serial_sequence('statement', 'id')) FROM generate_series(1, :n)"),
            {"n": len(drafts)},
        )
    ).scalars()
    statement_ids = list(first)
    statements, charges, events = [], [], []
    for statement_id, (account_id, draft) in zip(statement_ids, drafts, strict=True):
        statements.append(
            (
                statement_id, account_id, draft.period, draft.opening_balance, draft.charged, draft.recalculated,
                draft.paid, draft.penalty, draft.closing_balance, draft.issued_on, draft.due_on, now,
            )
        )  # fmt: skip
        for line in draft.lines:
            charges.append(
                (
                    account_id, statement_id, draft.period, line.zone.value, line.kind.value, line.basis.value,
                    line.volume_kwh, line.rate_kopecks, line.amount, line.recalculated_period,
                )
            )  # fmt: skip
        events.append(
            (STATEMENT_ISSUED, [account_channel(account_id)], _event_payload(statement_id, account_id, draft), now)
        )
    await driver.copy_records_to_table("statement", records=statements, columns=_STATEMENT_COLUMNS)
    await driver.copy_records_to_table("charge", records=charges, columns=_CHARGE_COLUMNS)
    await driver.copy_records_to_table("outbox_event", records=events, columns=_EVENT_COLUMNS)
    await driver.execute(
        _DEBTS,
        [account_id for account_id, _ in drafts],
        [draft.charged + draft.recalculated for _, draft in drafts],
        [draft.penalty for _, draft in drafts],
        now,
    )


async def load_books(session: AsyncSession, *, period: date) -> _Books:
    return _Books(
        tariffs=await load_tariffs(session),
        norms=await load_norms(session, on=period),
        key_rates=await load_key_rates(session),
    )


def compose_all(inputs: list[tuple[int, AccountPeriod]], books: _Books) -> list[tuple[int, StatementDraft]]:
    return [
        (
            account_id,
            compose_statement(account=account, tariffs=books.tariffs, norms=books.norms, key_rates=books.key_rates),
        )
        for account_id, account in inputs
    ]


async def close_period(
    *,
    db: Database,
    period: date,
    now: datetime,
    chunk_accounts: int = CHUNK_ACCOUNTS,
    before_commit: Callable[[int], Awaitable[None]] | None = None,
    monotonic: Callable[[], float] | None = None,
) -> CloseResult:
    """Issue the statements of `period` for every open account that has none yet.

    `before_commit(chunk_index)` runs inside each chunk's transaction after its rows are written (tests interrupt the
    run there). `now` stamps the rows and must lie after the period (local time).
    """
    import time

    clock = monotonic or time.monotonic
    started = clock()
    period = period.replace(day=1)
    if now.astimezone(LOCAL_TZ).date() <= month_end(period):
        raise PeriodNotEnded(f"period {period:%Y-%m} has not ended yet")
    async with db.session() as session:
        books = await load_books(session, period=period)
        await run(
            session,
            sa.text(
                "INSERT INTO billing_run (period, started_at, statements) VALUES (:period, :now, 0) "
                "ON CONFLICT (period) DO NOTHING"
            ),
            {"period": period, "now": now},
        )
        driver = await _driver(session)
        pending = [row[0] for row in await driver.fetch(_OPEN_ACCOUNTS, period, month_end(period))]
        await session.commit()
    issued = 0
    for index, offset in enumerate(range(0, len(pending), chunk_accounts)):
        chunk = pending[offset : offset + chunk_accounts]
        async with db.session() as session:
            await run(session, sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            driver = await _driver(session)
            # Another process may have billed some of them while we waited for the lock.
            rows = await driver.fetch(
                "SELECT a FROM unnest($1::bigint[]) AS a WHERE NOT EXISTS "
                "(SELECT 1 FROM statement s WHERE s.account_id = a AND s.period = $2)",
                chunk,
                period,
            )
            ids = [row[0] for row in rows]
            drafts = compose_all(await _inputs(driver, ids=ids, period=period), books)
            await _write(session, driver, drafts, now=now)
            await run(
                session,
                sa.text("UPDATE billing_run SET statements = statements + :n WHERE period = :period"),
                {"n": len(drafts), "period": period},
            )
            if before_commit is not None:
                await before_commit(index)
            await session.commit()
            issued += len(drafts)
    async with db.session() as session:
        await run(
            session,
            sa.text("UPDATE billing_run SET finished_at = coalesce(finished_at, :now) WHERE period = :period"),
            {"period": period, "now": now},
        )
        await session.commit()
    return CloseResult(period=period, accounts=len(pending), statements=issued, seconds=clock() - started)

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
from services.billing.calendar import add_months, local_midnight, month_end
from services.billing.estimates import AVERAGE_WINDOW_MONTHS, NormTable, load_norms
from services.billing.events import StatementIssued
from services.billing.explanation import opening_obligations
from services.billing.key_rates import KeyRateTable, load_key_rates
from services.billing.penalty import PayerKind
from services.billing.recalculation import EstimatedCharge
from services.billing.statements import AccountPeriod, PaymentIn, StatementDraft, compose_statement
from services.billing.tariffs import TariffTable, load_tariffs
from services.billing.volumes import RegisterSpan, zone_volumes
from services.platform.clock import LOCAL_TZ
from services.platform.database import Database, run

STATEMENT_ISSUED = StatementIssued.type
CHUNK_ACCOUNTS = 20_000  # accounts and delivery points per transaction
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


# Which owners are open in the period, and which already have its statement: two plain reads subtracted in Python.
# (An anti-join here is planned on stale statistics, which see no statement of a new period and so nest loops over
# the rows a run has just written: quadratic on a rerun.)
_OPEN_ACCOUNTS = """
SELECT a.id FROM personal_account a
WHERE a.opened_on <= $2 AND (a.closed_on IS NULL OR a.closed_on >= $1)
ORDER BY a.id
"""

_OPEN_DELIVERY_POINTS = """
SELECT d.id FROM delivery_point d JOIN contract c ON c.id = d.contract_id
WHERE c.signed_on <= $2 AND (c.terminated_on IS NULL OR c.terminated_on >= $1)
ORDER BY d.id
"""

_BILLED = "SELECT {owner} FROM statement WHERE period = $1 AND {owner} IS NOT NULL"
_BILLED_AMONG = "SELECT {owner} FROM statement WHERE {owner} = ANY($1::bigint[]) AND period = $2"

_ACCOUNTS = """
SELECT a.id, a.tariff_category, a.object_kind, a.residents,
       (SELECT min(m.zone_count) FROM meter m WHERE m.account_id = a.id AND m.removed_on IS NULL) AS zone_count,
       NULL::numeric AS max_capacity_kw, a.id AS channel_id
FROM personal_account a WHERE a.id = ANY($1::bigint[])
"""

# Organisations buy at the supplier's unregulated price (one tariff group) for non-residential premises.
_DELIVERY_POINTS = """
SELECT d.id, 'NON_HOUSEHOLD', 'NON_RESIDENTIAL', 0,
       (SELECT min(m.zone_count) FROM meter m WHERE m.delivery_point_id = d.id AND m.removed_on IS NULL),
       d.max_capacity_kw, d.contract_id
FROM delivery_point d WHERE d.id = ANY($1::bigint[])
"""

# Estimates (AVERAGE / NORM / CAPACITY) that no recalculation line has taken back yet.
_ESTIMATES = """
SELECT c.{owner}, c.period, c.zone, c.basis, c.volume_kwh, c.rate_kopecks FROM charge c
WHERE c.{owner} = ANY($1::bigint[]) AND c.period < $2 AND c.kind = 'CONSUMPTION' AND c.basis <> 'READINGS'
  AND NOT EXISTS (
    SELECT 1 FROM charge r
    WHERE r.{owner} = c.{owner} AND r.kind = 'RECALCULATION' AND r.recalculated_period = c.period
      AND r.zone = c.zone AND r.basis = c.basis)
"""

# Per meter zone: the newest accepted reading counting toward the period or before, and the last one already billed
# (the newest before the first period still billed by estimate, or before the period itself).
_REGISTERS = """
WITH cut AS (
  SELECT owner_id, min(period) AS first_estimated FROM unnest($1::bigint[], $2::date[]) AS e(owner_id, period)
  GROUP BY owner_id)
SELECT m.{owner}, m.digits, z.zone, cur.value, cur.period, base.value
FROM meter m
CROSS JOIN LATERAL unnest(CASE m.zone_count WHEN 1 THEN ARRAY['SINGLE'] WHEN 2 THEN ARRAY['DAY', 'NIGHT']
                          ELSE ARRAY['PEAK', 'SEMI_PEAK', 'NIGHT'] END) AS z(zone)
LEFT JOIN cut ON cut.owner_id = m.{owner}
LEFT JOIN LATERAL (
  SELECT r.value, r.period FROM reading r
  WHERE r.meter_id = m.id AND r.zone = z.zone AND r.status = 'ACCEPTED' AND r.period <= $4
  ORDER BY r.taken_on DESC, r.id DESC LIMIT 1) cur ON true
LEFT JOIN LATERAL (
  SELECT r.value FROM reading r
  WHERE r.meter_id = m.id AND r.zone = z.zone AND r.status = 'ACCEPTED' AND r.period < coalesce(cut.first_estimated, $4)
  ORDER BY r.taken_on DESC, r.id DESC LIMIT 1) base ON true
WHERE m.{owner} = ANY($3::bigint[]) AND m.removed_on IS NULL AND cur.value IS NOT NULL
"""

# Metered consumption of the last 12 periods per zone, and how many of them were billed at all.
_HISTORY = """
SELECT {owner}, zone, sum(volume_kwh) FILTER (WHERE basis = 'READINGS') AS kwh,
       count(DISTINCT period) FILTER (WHERE kind = 'CONSUMPTION') AS months
FROM charge WHERE {owner} = ANY($1::bigint[]) AND period >= $2 AND period < $3
GROUP BY {owner}, zone
"""

_BALANCES = """
SELECT {owner},
       (array_agg(closing_balance ORDER BY period DESC))[1] AS opening,
       sum(penalty) AS penalty_billed,
       (array_agg(period ORDER BY period DESC))[1:24] AS periods,
       (array_agg(due_on ORDER BY period DESC))[1:24] AS dues,
       (array_agg(charged + recalculated + vat ORDER BY period DESC))[1:24] AS amounts
FROM statement WHERE {owner} = ANY($1::bigint[]) AND period < $2
GROUP BY {owner}
"""

# Penalty paid before the period (summed here, not shipped), and the payments credited in the period.
_PAYMENTS = """
SELECT {owner}, coalesce(sum(penalty) FILTER (WHERE paid_at < $2), 0),
       array_agg(paid_at ORDER BY paid_at) FILTER (WHERE paid_at >= $2),
       array_agg(electricity ORDER BY paid_at) FILTER (WHERE paid_at >= $2),
       array_agg(penalty ORDER BY paid_at) FILTER (WHERE paid_at >= $2)
FROM payment
WHERE {owner} = ANY($1::bigint[]) AND status = 'SUCCEEDED' AND paid_at < $3
GROUP BY {owner}
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
    "id", "account_id", "delivery_point_id", "period", "opening_balance", "charged", "recalculated", "vat", "paid",
    "penalty", "closing_balance", "issued_on", "due_on", "created_at",
)  # fmt: skip
_CHARGE_COLUMNS = (
    "account_id", "delivery_point_id", "statement_id", "period", "zone", "kind", "basis", "volume_kwh",
    "rate_kopecks", "amount", "recalculated_period",
)  # fmt: skip
_EVENT_COLUMNS = ("type", "channels", "payload", "created_at")


@dataclass(frozen=True, slots=True)
class Payer:
    """Who a statement belongs to: a personal account (households) or a contract's delivery point (organisations)."""

    kind: PayerKind
    column: str  # the owner column of statement, charge, payment and meter
    open_sql: str
    attributes_sql: str

    def sql(self, template: str) -> str:
        return template.format(owner=self.column)


HOUSEHOLDS = Payer(PayerKind.HOUSEHOLD, "account_id", _OPEN_ACCOUNTS, _ACCOUNTS)
ORGANISATIONS = Payer(PayerKind.ORGANISATION, "delivery_point_id", _OPEN_DELIVERY_POINTS, _DELIVERY_POINTS)


@dataclass(frozen=True, slots=True)
class _Books:
    tariffs: TariffTable
    norms: NormTable
    key_rates: KeyRateTable


async def _inputs(
    driver: _Driver, payer: Payer, *, ids: list[int], period: date
) -> list[tuple[int, int, AccountPeriod]]:
    """(owner id, channel id, what the engine needs) for each owner of `ids`, one statement per kind of data."""
    period_start, period_end = local_midnight(period), local_midnight(add_months(period, 1))
    estimates: dict[int, list[EstimatedCharge]] = defaultdict(list)
    for owner_id, month, zone, basis, volume, rate in await driver.fetch(payer.sql(_ESTIMATES), ids, period):
        estimates[owner_id].append(EstimatedCharge(month, TariffZone(zone), ChargeBasis(basis), volume, rate))
    estimated_ids = [owner_id for owner_id, items in estimates.items() for _ in items]
    estimated_periods = [item.period for items in estimates.values() for item in items]

    spans: dict[int, list[RegisterSpan]] = defaultdict(list)
    reading_period: dict[int, date] = {}
    for owner_id, digits, zone, value, month, previous in await driver.fetch(
        payer.sql(_REGISTERS), estimated_ids, estimated_periods, ids, period
    ):
        first_unbilled = min((item.period for item in estimates.get(owner_id, ())), default=period)
        if month < first_unbilled:
            continue  # the newest reading is the one already billed
        spans[owner_id].append(RegisterSpan(TariffZone(zone), digits, previous, value))
        reading_period[owner_id] = max(month, reading_period.get(owner_id, month))

    history_kwh: dict[int, dict[TariffZone, int]] = defaultdict(dict)
    history_months: dict[int, int] = {}
    window_start = add_months(period, -AVERAGE_WINDOW_MONTHS)
    for owner_id, zone, kwh, months in await driver.fetch(payer.sql(_HISTORY), ids, window_start, period):
        if kwh:
            history_kwh[owner_id][TariffZone(zone)] = int(kwh)
        history_months[owner_id] = max(history_months.get(owner_id, 0), months)

    balances = {row[0]: row for row in await driver.fetch(payer.sql(_BALANCES), ids, period)}
    penalty_paid: dict[int, int] = defaultdict(int)
    in_period: dict[int, list[PaymentIn]] = defaultdict(list)
    for owner_id, paid_before, moments, electricity, penalty in await driver.fetch(
        payer.sql(_PAYMENTS), ids, period_start, period_end
    ):
        penalty_paid[owner_id] = int(paid_before)
        if moments:
            in_period[owner_id] = [
                PaymentIn(moment.astimezone(LOCAL_TZ).date(), part, fine)
                for moment, part, fine in zip(moments, electricity, penalty, strict=True)
            ]

    result: list[tuple[int, int, AccountPeriod]] = []
    for owner_id, category, kind, residents, zone_count, capacity, channel_id in await driver.fetch(
        payer.attributes_sql, ids
    ):
        unreconciled = estimates.get(owner_id, [])
        window_estimates = {item.period for item in unreconciled if item.period >= window_start}
        balance = balances.get(owner_id)
        opening, penalty_billed, periods, dues, totals = 0, 0, [], [], []
        if balance is not None:
            _, opening, penalty_billed, periods, dues, totals = balance
        obligations = opening_obligations(
            payer=payer.kind,
            period=period,
            opening=opening,
            penalty_billed=int(penalty_billed),
            penalty_paid=penalty_paid[owner_id],
            periods=list(periods),
            dues=list(dues),
            totals=list(totals),
        )
        result.append(
            (
                owner_id,
                channel_id,
                AccountPeriod(
                    period=period,
                    category=TariffCategory(category),
                    object_kind=ObjectKind(kind),
                    residents=residents,
                    zone_count=zone_count,
                    reading_period=reading_period.get(owner_id),
                    real_volumes=zone_volumes(spans.get(owner_id, ())),
                    unreconciled=unreconciled,
                    history_months=max(history_months.get(owner_id, 0) - len(window_estimates), 0),
                    history_volumes=history_kwh.get(owner_id, {}),
                    opening_balance=opening,
                    obligations=obligations,
                    payments=in_period.get(owner_id, ()),
                    payer=payer.kind,
                    max_capacity_kw=capacity,
                ),
            )
        )
    return result


def _event(payer: Payer, statement_id: int, owner_id: int, channel_id: int, draft: StatementDraft) -> StatementIssued:
    household = payer.kind is PayerKind.HOUSEHOLD
    return StatementIssued(
        statement_id=statement_id,
        account_id=owner_id if household else None,
        delivery_point_id=None if household else owner_id,
        contract_id=None if household else channel_id,
        period=draft.period.isoformat(),
        closing_balance=draft.closing_balance,
        issued_on=draft.issued_on.isoformat(),
        due_on=draft.due_on.isoformat(),
    )


async def write_statements(
    session: AsyncSession,
    payer: Payer,
    drafts: list[tuple[int, int, StatementDraft]],
    *,
    now: datetime,
) -> list[int]:
    """COPY the statements, their charge lines and their `statement.issued` events; move households' debts.

    `drafts` are (owner id, channel id: the account or the contract, statement). Returns the new statements' ids.
    """
    if not drafts:
        return []
    driver = await _driver(session)
    statement_ids = [
        row[0]
        for row in await driver.fetch(
            "SELECT nextval(pg_get_serial_sequence('statement', 'id')) FROM generate_series(1, $1::int)", len(drafts)
        )
    ]
    household = payer.kind is PayerKind.HOUSEHOLD
    statements, charges, events = [], [], []
    for statement_id, (owner_id, channel_id, draft) in zip(statement_ids, drafts, strict=True):
        account_id, point_id = (owner_id, None) if household else (None, owner_id)
        statements.append(
            (
                statement_id, account_id, point_id, draft.period, draft.opening_balance, draft.charged,
                draft.recalculated, draft.vat, draft.paid, draft.penalty, draft.closing_balance, draft.issued_on,
                draft.due_on, now,
            )
        )  # fmt: skip
        for line in draft.lines:
            charges.append(
                (
                    account_id, point_id, statement_id, draft.period, line.zone.value, line.kind.value,
                    line.basis.value, line.volume_kwh, line.rate_kopecks, line.amount, line.recalculated_period,
                )
            )  # fmt: skip
        event = _event(payer, statement_id, owner_id, channel_id, draft)
        events.append((event.type, list(event.channels()), orjson.dumps(event.to_payload()).decode(), now))
    await driver.copy_records_to_table("statement", records=statements, columns=_STATEMENT_COLUMNS)
    await driver.copy_records_to_table("charge", records=charges, columns=_CHARGE_COLUMNS)
    await driver.copy_records_to_table("outbox_event", records=events, columns=_EVENT_COLUMNS)
    if household:
        await driver.execute(
            _DEBTS,
            [owner_id for owner_id, _, _ in drafts],
            [draft.charged + draft.recalculated for _, _, draft in drafts],
            [draft.penalty for _, _, draft in drafts],
            now,
        )
    return statement_ids


async def load_books(session: AsyncSession, *, period: date) -> _Books:
    return _Books(
        tariffs=await load_tariffs(session),
        norms=await load_norms(session, on=period),
        key_rates=await load_key_rates(session),
    )


def compose_all(inputs: list[tuple[int, int, AccountPeriod]], books: _Books) -> list[tuple[int, int, StatementDraft]]:
    return [
        (
            owner_id,
            channel_id,
            compose_statement(account=account, tariffs=books.tariffs, norms=books.norms, key_rates=books.key_rates),
        )
        for owner_id, channel_id, account in inputs
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
    """Issue the statements of `period` for every open account and contract delivery point that has none yet.

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
        pending: list[tuple[Payer, int]] = []
        for payer in (HOUSEHOLDS, ORGANISATIONS):
            billed = {row[0] for row in await driver.fetch(payer.sql(_BILLED), period)}
            pending += [
                (payer, row[0])
                for row in await driver.fetch(payer.open_sql, period, month_end(period))
                if row[0] not in billed
            ]
        await session.commit()
    issued = 0
    chunks = [pending[offset : offset + chunk_accounts] for offset in range(0, len(pending), chunk_accounts)]
    for index, chunk in enumerate(chunks):
        async with db.session() as session:
            await run(session, sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            driver = await _driver(session)
            written = 0
            for payer in (HOUSEHOLDS, ORGANISATIONS):
                wanted = [owner_id for owner_payer, owner_id in chunk if owner_payer is payer]
                if not wanted:
                    continue
                # Another process may have billed some of them while we waited for the lock.
                billed = {row[0] for row in await driver.fetch(payer.sql(_BILLED_AMONG), wanted, period)}
                ids = [owner_id for owner_id in wanted if owner_id not in billed]
                drafts = compose_all(await _inputs(driver, payer, ids=ids, period=period), books)
                written += len(await write_statements(session, payer, drafts, now=now))
            await run(
                session,
                sa.text("UPDATE billing_run SET statements = statements + :n WHERE period = :period"),
                {"n": written, "period": period},
            )
            if before_commit is not None:
                await before_commit(index)
            await session.commit()
            issued += written
    async with db.session() as session:
        await run(
            session,
            sa.text("UPDATE billing_run SET finished_at = coalesce(finished_at, :now) WHERE period = :period"),
            {"period": period, "now": now},
        )
        await session.commit()
    return CloseResult(period=period, accounts=len(pending), statements=issued, seconds=clock() - started)

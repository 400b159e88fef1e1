"""Statements, charges, payments and debts of accounts: one statement per relation for all parents of a request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from loaders.base import Loader, Query, by_key, grouped
from loaders.pages import PageArgs, PageLoader, RankedPages, table_of
from models import AccountDebt, Charge, Payment, Statement
from models.enums import ChargeKind, PaymentStatus, TariffZone
from services.billing.calendar import add_months, local_midnight
from services.billing.estimates import AVERAGE_WINDOW_MONTHS
from services.billing.explanation import BilledMonth, PaidPart, explain_penalty
from services.billing.key_rates import KeyRateTable
from services.billing.month_to_date import ReadingPace
from services.billing.penalty import PayerKind, PenaltyLine
from services.billing.volumes import RegisterSpan, zone_volumes
from services.cabinet.periods import MonthRange, month_start
from services.platform.clock import LOCAL_TZ

STATEMENT = table_of(Statement)
CHARGE = table_of(Charge)
PAYMENT = table_of(Payment)
DEBT = table_of(AccountDebt)

# A delivery point's row carries its contract's id: whose it is (`account_or_contract`) is decided by the contract.
_STATEMENT_BY_ID = Query.of(
    "SELECT s.*, d.contract_id FROM statement s LEFT JOIN delivery_point d ON d.id = s.delivery_point_id "
    "WHERE s.id = ANY($1::bigint[])",
    STATEMENT,
)
_CHARGE_BY_ID = Query.of(
    "SELECT c.*, d.contract_id FROM charge c LEFT JOIN delivery_point d ON d.id = c.delivery_point_id "
    "WHERE c.id = ANY($1::bigint[])",
    CHARGE,
)
_PAYMENT_BY_ID = Query.of(
    "SELECT p.*, d.contract_id FROM payment p LEFT JOIN delivery_point d ON d.id = p.delivery_point_id "
    "WHERE p.id = ANY($1::bigint[])",
    PAYMENT,
)
_CHARGES_BY_STATEMENT = Query.of("SELECT * FROM charge WHERE statement_id = ANY($1::bigint[]) ORDER BY id", CHARGE)
_PAYMENTS_IN_MONTHS = Query.of(
    "SELECT * FROM payment WHERE account_id = ANY($1::bigint[]) "
    f"AND status = '{PaymentStatus.SUCCEEDED.value}' AND paid_at >= $2::timestamptz AND paid_at < $3::timestamptz "
    "ORDER BY paid_at, id",
    PAYMENT,
)
_POINT_PAYMENTS_IN_MONTHS = Query.of(
    "SELECT * FROM payment WHERE delivery_point_id = ANY($1::bigint[]) "
    f"AND status = '{PaymentStatus.SUCCEEDED.value}' AND paid_at >= $2::timestamptz AND paid_at < $3::timestamptz "
    "ORDER BY paid_at, id",
    PAYMENT,
)
# The latest statement's period, found per account through the (account_id, period) unique index.
_LAST_CHARGES = Query.of(
    "SELECT c.* FROM charge c JOIN (SELECT account_id, max(period) AS period FROM statement "
    "WHERE account_id = ANY($1::bigint[]) GROUP BY account_id) AS last_period "
    "ON c.account_id = last_period.account_id AND c.period = last_period.period "
    f"WHERE c.kind = '{ChargeKind.CONSUMPTION.value}' ORDER BY c.id",
    CHARGE,
)
_DEBT = Query.of("SELECT * FROM account_debt WHERE account_id = ANY($1::bigint[])", DEBT)


class StatementById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.fetch(_STATEMENT_BY_ID, ids), "id")


class ChargeById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.fetch(_CHARGE_BY_ID, ids), "id")


class PaymentById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.fetch(_PAYMENT_BY_ID, ids), "id")


class _Pages(PageLoader):
    pages: ClassVar[RankedPages]

    def query(self, args: PageArgs) -> Query:
        return self.pages.query(args)

    def params(self, parents: Sequence[int], args: PageArgs) -> tuple[Any, ...]:
        return self.pages.params(parents, args)


class StatementPagesByAccount(_Pages):
    """Statements («Расчёты»), the latest period first; the cursor is (period, id)."""

    pages = RankedPages(
        columns="s.*",
        parent="s.account_id",
        source="FROM statement s WHERE s.account_id = ANY($1::bigint[])",
        order=(("s.period", "date"), ("s.id", "bigint")),
        tables=(STATEMENT,),
        months=("s.period", "between", "date"),
    )


class PaymentPagesByAccount(_Pages):
    """Payments («Оплаты») of every status, the latest first; the cursor is (created_at, id)."""

    pages = RankedPages(
        columns="p.*",
        parent="p.account_id",
        source="FROM payment p WHERE p.account_id = ANY($1::bigint[])",
        order=(("p.created_at", "timestamptz"), ("p.id", "bigint")),
        tables=(PAYMENT,),
        months=("p.created_at", "range", "timestamptz"),
    )


class ChargesByStatement(Loader[int, list[Any]]):
    """The lines of a statement: consumption per zone, then recalculations."""

    async def batch_load_fn(self, statement_ids: list[int]) -> list[list[Any]]:
        return grouped(statement_ids, await self.fetch(_CHARGES_BY_STATEMENT, statement_ids), "statement_id")


AccountMonth = tuple[int, date]


class PaymentsInMonth(Loader[AccountMonth, list[Any]]):
    """(account id, period) → the succeeded payments credited in that month (local time), as a statement counts them.

    One range scan over all asked accounts and months; rows are then sorted into their months here.
    """

    query: ClassVar[Query] = _PAYMENTS_IN_MONTHS
    owner: ClassVar[str] = "account_id"

    async def batch_load_fn(self, keys: list[AccountMonth]) -> list[list[Any]]:
        months = MonthRange(min(period for _, period in keys), max(period for _, period in keys))
        rows = await self.fetch(self.query, list({owner for owner, _ in keys}), months.starts_at, months.ends_before)
        found: defaultdict[AccountMonth, list[Any]] = defaultdict(list)
        for row in rows:
            found[(getattr(row, self.owner), month_start(row.paid_at.astimezone(LOCAL_TZ).date()))].append(row)
        return [found.get(key, []) for key in keys]


class PointPaymentsInMonth(PaymentsInMonth):
    """(delivery point id, period) → its succeeded payments credited in that month, as its statement counts them."""

    query = _POINT_PAYMENTS_IN_MONTHS
    owner = "delivery_point_id"


class LastChargesByAccount(Loader[int, list[Any]]):
    """The consumption lines of an account's latest billed month («Начислено в …»)."""

    async def batch_load_fn(self, account_ids: list[int]) -> list[list[Any]]:
        return grouped(account_ids, await self.fetch(_LAST_CHARGES, account_ids), "account_id")


class DebtByAccount(Loader[int, Any]):
    async def batch_load_fn(self, account_ids: list[int]) -> list[Any]:
        return by_key(account_ids, await self.fetch(_DEBT, account_ids), "account_id")


# ---- the penalty explained (Statement.penaltyExplanation, Debt.penaltyExplanation)

_HISTORY_COLUMNS = (
    "s.id, s.account_id, s.delivery_point_id, s.period, s.due_on, s.charged + s.recalculated + s.vat AS total, "
    "s.closing_balance, s.penalty, s.external_id"
)
_HISTORY_OF_STATEMENTS = Query.of(
    "WITH target AS (SELECT account_id, delivery_point_id FROM statement WHERE id = ANY($1::bigint[])) "
    f"SELECT {_HISTORY_COLUMNS} FROM statement s "
    "WHERE s.account_id IN (SELECT account_id FROM target) "
    "OR s.delivery_point_id IN (SELECT delivery_point_id FROM target)"
)
_PAID_OF_STATEMENTS = Query.of(
    "WITH target AS (SELECT account_id, delivery_point_id FROM statement WHERE id = ANY($1::bigint[])) "
    "SELECT p.account_id, p.delivery_point_id, p.paid_at, p.electricity, p.penalty FROM payment p "
    f"WHERE p.status = '{PaymentStatus.SUCCEEDED.value}' AND p.paid_at IS NOT NULL "
    "AND (p.account_id IN (SELECT account_id FROM target) "
    "OR p.delivery_point_id IN (SELECT delivery_point_id FROM target))"
)
_HISTORY_OF_ACCOUNTS = Query.of(f"SELECT {_HISTORY_COLUMNS} FROM statement s WHERE s.account_id = ANY($1::bigint[])")
_PAID_OF_ACCOUNTS = Query.of(
    "SELECT p.account_id, p.delivery_point_id, p.paid_at, p.electricity, p.penalty FROM payment p "
    f"WHERE p.status = '{PaymentStatus.SUCCEEDED.value}' AND p.paid_at IS NOT NULL "
    "AND p.account_id = ANY($1::bigint[])"
)
_KEY_RATES = Query.of("SELECT valid_from, rate_bp FROM key_rate ORDER BY valid_from")

Owner = tuple[str, int]  # ("account" | "point", id)


def _owner(row: Any) -> Owner:
    return ("account", row.account_id) if row.account_id is not None else ("point", row.delivery_point_id)


@dataclass(frozen=True, slots=True)
class ExplainedStatement:
    """A statement's penalty, interval by interval; `lines` add up to `penalty` (the statement's own figure)."""

    statement_id: int
    period: date
    penalty: int
    lines: tuple[PenaltyLine, ...]


@dataclass(frozen=True, slots=True)
class ExplainedDebt:
    """The penalty of every statement the engine issued, and what payments have paid of it."""

    statements: tuple[ExplainedStatement, ...]
    paid: int

    @property
    def accrued(self) -> int:
        return sum(statement.penalty for statement in self.statements)


class _Books:
    """An owner's statements and payments, read once for all the statements or accounts of a request."""

    def __init__(self, history: list[Any], paid: list[Any], rates: list[Any]) -> None:
        self.months: defaultdict[Owner, list[Any]] = defaultdict(list)
        for row in history:
            self.months[_owner(row)].append(row)
        self.paid: defaultdict[Owner, list[PaidPart]] = defaultdict(list)
        for row in paid:
            day = row.paid_at.astimezone(LOCAL_TZ).date()
            self.paid[_owner(row)].append(PaidPart(day, row.electricity, row.penalty))
        self.key_rates = KeyRateTable.of((row.valid_from, row.rate_bp) for row in rates)

    def explain(self, owner: Owner, statement: Any) -> ExplainedStatement | None:
        """None for a statement imported from another billing system (BILLING_MODE=external): its penalty is theirs."""
        if statement.external_id is not None:
            return None
        accrual = explain_penalty(
            payer=PayerKind.HOUSEHOLD if owner[0] == "account" else PayerKind.ORGANISATION,
            period=statement.period,
            earlier=[
                BilledMonth(row.period, row.due_on, int(row.total), row.closing_balance, row.penalty)
                for row in self.months[owner]
                if row.period < statement.period
            ],
            payments=self.paid[owner],
            key_rates=self.key_rates,
        )
        return ExplainedStatement(statement.id, statement.period, accrual.amount, accrual.lines)


class PenaltyExplanationByStatement(Loader[int, ExplainedStatement | None]):
    """Statement id → its penalty explained: three statements for all the statements of a request."""

    async def batch_load_fn(self, statement_ids: list[int]) -> list[ExplainedStatement | None]:
        books = _Books(
            await self.fetch(_HISTORY_OF_STATEMENTS, statement_ids),
            await self.fetch(_PAID_OF_STATEMENTS, statement_ids),
            await self.fetch(_KEY_RATES),
        )
        found = {row.id: row for rows in books.months.values() for row in rows}
        result: list[ExplainedStatement | None] = []
        for statement_id in statement_ids:
            row = found.get(statement_id)
            result.append(None if row is None else books.explain(_owner(row), row))
        return result


class PenaltyExplanationByAccount(Loader[int, ExplainedDebt]):
    """Account id → the penalty of each of its engine-issued statements and the penalty its payments paid."""

    async def batch_load_fn(self, account_ids: list[int]) -> list[ExplainedDebt]:
        books = _Books(
            await self.fetch(_HISTORY_OF_ACCOUNTS, account_ids),
            await self.fetch(_PAID_OF_ACCOUNTS, account_ids),
            await self.fetch(_KEY_RATES),
        )
        result: list[ExplainedDebt] = []
        for account_id in account_ids:
            owner: Owner = ("account", account_id)
            explained = [books.explain(owner, row) for row in sorted(books.months[owner], key=lambda r: r.period)]
            result.append(
                ExplainedDebt(
                    statements=tuple(item for item in explained if item is not None and item.penalty),
                    paid=sum(part.penalty for part in books.paid[owner]),
                )
            )
        return result


# ---- contracts: the money tabs of all their delivery points (organisations are billed per delivery point)


class StatementPagesByContract(_Pages):
    """The statements of every delivery point of a contract, the latest period first; the cursor is (period, id)."""

    pages = RankedPages(
        columns="s.*, d.contract_id",
        parent="d.contract_id",
        source="FROM statement s JOIN delivery_point d ON d.id = s.delivery_point_id "
        "WHERE d.contract_id = ANY($1::bigint[])",
        order=(("s.period", "date"), ("s.id", "bigint")),
        tables=(STATEMENT,),
        months=("s.period", "between", "date"),
    )


class PaymentPagesByContract(_Pages):
    """The payments of every delivery point of a contract, every status, the latest first."""

    pages = RankedPages(
        columns="p.*, d.contract_id",
        parent="d.contract_id",
        source="FROM payment p JOIN delivery_point d ON d.id = p.delivery_point_id "
        "WHERE d.contract_id = ANY($1::bigint[])",
        order=(("p.created_at", "timestamptz"), ("p.id", "bigint")),
        tables=(PAYMENT,),
        months=("p.created_at", "range", "timestamptz"),
    )


_LAST_CHARGES_OF_CONTRACTS = Query.of(
    "SELECT c.*, d.contract_id FROM charge c JOIN delivery_point d ON d.id = c.delivery_point_id "
    "JOIN (SELECT delivery_point_id, max(period) AS period FROM statement "
    "WHERE delivery_point_id IN (SELECT id FROM delivery_point WHERE contract_id = ANY($1::bigint[])) "
    "GROUP BY delivery_point_id) AS last_period "
    "ON c.delivery_point_id = last_period.delivery_point_id AND c.period = last_period.period "
    f"WHERE c.kind = '{ChargeKind.CONSUMPTION.value}' ORDER BY d.id, c.id",
    CHARGE,
)

# A delivery point has no debt row: it owes its latest statement's closing balance less what was paid after that
# month (local time); of it, the penalty billed and not yet paid.
_CONTRACT_DEBT = Query.of(
    """
WITH points AS (SELECT id, contract_id FROM delivery_point WHERE contract_id = ANY($1::bigint[])),
last AS (
  SELECT DISTINCT ON (s.delivery_point_id) s.delivery_point_id, s.closing_balance, s.created_at,
         ((s.period + interval '1 month')::timestamp AT TIME ZONE 'Europe/Moscow') AS billed_until
  FROM statement s JOIN points ON points.id = s.delivery_point_id
  ORDER BY s.delivery_point_id, s.period DESC),
penalty AS (
  SELECT s.delivery_point_id, sum(s.penalty) AS billed FROM statement s JOIN points ON points.id = s.delivery_point_id
  GROUP BY s.delivery_point_id),
paid AS (
  SELECT p.delivery_point_id, sum(p.penalty) AS penalty,
         sum(p.amount) FILTER (WHERE p.paid_at >= last.billed_until) AS after_last
  FROM payment p JOIN last ON last.delivery_point_id = p.delivery_point_id
  WHERE p.status = 'SUCCEEDED' AND p.paid_at IS NOT NULL
  GROUP BY p.delivery_point_id)
SELECT points.contract_id,
       coalesce(sum(last.closing_balance - coalesce(paid.after_last, 0)), 0)::bigint AS total,
       coalesce(sum(greatest(coalesce(penalty.billed, 0) - coalesce(paid.penalty, 0), 0)), 0)::bigint AS penalty,
       max(last.created_at) AS updated_at
FROM points
LEFT JOIN last ON last.delivery_point_id = points.id
LEFT JOIN penalty ON penalty.delivery_point_id = points.id
LEFT JOIN paid ON paid.delivery_point_id = points.id
GROUP BY points.contract_id
"""
)


class LastChargesByContract(Loader[int, list[Any]]):
    """The consumption lines of each delivery point's latest billed month, for a contract."""

    async def batch_load_fn(self, contract_ids: list[int]) -> list[list[Any]]:
        return grouped(contract_ids, await self.fetch(_LAST_CHARGES_OF_CONTRACTS, contract_ids), "contract_id")


class DebtByContract(Loader[int, Any]):
    """Contract id → (total, penalty, updated_at) summed over its delivery points; None: no delivery point."""

    async def batch_load_fn(self, contract_ids: list[int]) -> list[Any]:
        return by_key(contract_ids, await self.fetch(_CONTRACT_DEBT, contract_ids), "contract_id")


# ---- month to date (PersonalAccount.currentMonth)

_SMART_HOURS = Query.of(
    "SELECT m.account_id, extract(hour FROM h.hour AT TIME ZONE 'Europe/Moscow')::int AS clock_hour, "
    "sum(h.a_plus_wh)::bigint AS wh FROM meter m JOIN metering_point mp ON mp.meter_id = m.id "
    "JOIN isu_hourly_profile h ON h.metering_point_id = mp.id "
    "WHERE m.account_id = ANY($1::bigint[]) AND m.removed_on IS NULL AND m.is_smart AND h.hour >= $2::timestamptz "
    "GROUP BY m.account_id, clock_hour"
)
_READING_SPANS = Query.of(
    """
SELECT m.account_id, m.digits, z.zone, cur.value AS current, cur.taken_on AS until, base.value AS previous,
       base.taken_on AS since
FROM meter m
CROSS JOIN LATERAL unnest(CASE m.zone_count WHEN 1 THEN ARRAY['SINGLE'] WHEN 2 THEN ARRAY['DAY', 'NIGHT']
                          ELSE ARRAY['PEAK', 'SEMI_PEAK', 'NIGHT'] END) AS z(zone)
JOIN LATERAL (
  SELECT r.value, r.taken_on FROM reading r
  WHERE r.meter_id = m.id AND r.zone = z.zone AND r.status = 'ACCEPTED' AND r.taken_on >= $2::date
  ORDER BY r.taken_on DESC, r.id DESC LIMIT 1) cur ON true
JOIN LATERAL (
  SELECT r.value, r.taken_on FROM reading r
  WHERE r.meter_id = m.id AND r.zone = z.zone AND r.status = 'ACCEPTED' AND r.taken_on < $2::date
  ORDER BY r.taken_on DESC, r.id DESC LIMIT 1) base ON true
WHERE m.account_id = ANY($1::bigint[]) AND m.removed_on IS NULL
""",
    zone=TariffZone,
)
_METERED_HISTORY = Query.of(
    "SELECT account_id, zone, sum(volume_kwh)::bigint AS kwh, count(DISTINCT period) AS months FROM charge "
    f"WHERE account_id = ANY($1::bigint[]) AND kind = '{ChargeKind.CONSUMPTION.value}' AND basis = 'READINGS' "
    "AND period >= $2::date AND period < $3::date GROUP BY account_id, zone",
    zone=TariffZone,
)


@dataclass(frozen=True, slots=True)
class MonthInputs:
    """What the month-to-date estimate of one account can rest on (see services/billing/month_to_date.py)."""

    smart_wh_by_hour: dict[int, int]  # local clock hour → Wh this month; empty: no smart-meter data
    reading: ReadingPace | None
    history_months: int
    history_volumes: dict[TariffZone, int]


AccountMonthStart = tuple[int, date]


class MonthInputsByAccount(Loader[AccountMonthStart, MonthInputs]):
    """(account id, the current month's first day) → its smart-meter hours, reading span and metered history."""

    async def batch_load_fn(self, keys: list[AccountMonthStart]) -> list[MonthInputs]:
        month = keys[0][1]  # one request, one clock: every key names the same month
        account_ids = list({account_id for account_id, _ in keys})
        smart: defaultdict[int, dict[int, int]] = defaultdict(dict)
        for row in await self.fetch(_SMART_HOURS, account_ids, local_midnight(month)):
            smart[row.account_id][row.clock_hour] = int(row.wh)
        spans: defaultdict[int, list[Any]] = defaultdict(list)
        for row in await self.fetch(_READING_SPANS, account_ids, month):
            spans[row.account_id].append(row)
        months: defaultdict[int, int] = defaultdict(int)
        volumes: defaultdict[int, dict[TariffZone, int]] = defaultdict(dict)
        for row in await self.fetch(_METERED_HISTORY, account_ids, add_months(month, -AVERAGE_WINDOW_MONTHS), month):
            months[row.account_id] = max(months[row.account_id], int(row.months))
            volumes[row.account_id][row.zone] = int(row.kwh)
        result: list[MonthInputs] = []
        for account_id, _ in keys:
            rows = spans.get(account_id, [])
            reading = None
            if rows:
                reading = ReadingPace(
                    since=max(row.since for row in rows),
                    until=max(row.until for row in rows),
                    volumes=zone_volumes(RegisterSpan(row.zone, row.digits, row.previous, row.current) for row in rows),
                )
            result.append(MonthInputs(smart.get(account_id, {}), reading, months[account_id], volumes[account_id]))
        return result

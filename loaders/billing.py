"""Statements, charges, payments and debts of accounts: one statement per relation for all parents of a request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from loaders.base import Loader, Query, by_key, grouped
from loaders.pages import PageArgs, PageLoader, RankedPages, table_of
from models import AccountDebt, Charge, Payment, Statement
from models.enums import ChargeKind, PaymentStatus
from services.cabinet.periods import MonthRange, month_start
from services.platform.clock import LOCAL_TZ

STATEMENT = table_of(Statement)
CHARGE = table_of(Charge)
PAYMENT = table_of(Payment)
DEBT = table_of(AccountDebt)

_STATEMENT_BY_ID = Query.of("SELECT * FROM statement WHERE id = ANY($1::bigint[])", STATEMENT)
_CHARGE_BY_ID = Query.of("SELECT * FROM charge WHERE id = ANY($1::bigint[])", CHARGE)
_PAYMENT_BY_ID = Query.of("SELECT * FROM payment WHERE id = ANY($1::bigint[])", PAYMENT)
_CHARGES_BY_STATEMENT = Query.of("SELECT * FROM charge WHERE statement_id = ANY($1::bigint[]) ORDER BY id", CHARGE)
_PAYMENTS_IN_MONTHS = Query.of(
    "SELECT * FROM payment WHERE account_id = ANY($1::bigint[]) "
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

    async def batch_load_fn(self, keys: list[AccountMonth]) -> list[list[Any]]:
        months = MonthRange(min(period for _, period in keys), max(period for _, period in keys))
        rows = await self.fetch(
            _PAYMENTS_IN_MONTHS, list({account_id for account_id, _ in keys}), months.starts_at, months.ends_before
        )
        found: defaultdict[AccountMonth, list[Any]] = defaultdict(list)
        for row in rows:
            found[(row.account_id, month_start(row.paid_at.astimezone(LOCAL_TZ).date()))].append(row)
        return [found.get(key, []) for key in keys]


class LastChargesByAccount(Loader[int, list[Any]]):
    """The consumption lines of an account's latest billed month («Начислено в …»)."""

    async def batch_load_fn(self, account_ids: list[int]) -> list[list[Any]]:
        return grouped(account_ids, await self.fetch(_LAST_CHARGES, account_ids), "account_id")


class DebtByAccount(Loader[int, Any]):
    async def batch_load_fn(self, account_ids: list[int]) -> list[Any]:
        return by_key(account_ids, await self.fetch(_DEBT, account_ids), "account_id")

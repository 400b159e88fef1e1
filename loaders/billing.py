"""Statements, charges, payments and debts of accounts: one statement per relation for all parents of a request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Select

from loaders.base import Loader, by_key, grouped
from loaders.pages import PageArgs, PageLoader, after_keyset, first_per_parent, table_of
from models import AccountDebt, Charge, Payment, Statement
from models.enums import ChargeKind, PaymentStatus
from services.cabinet.periods import MonthRange, month_start
from services.platform.clock import LOCAL_TZ

STATEMENT = table_of(Statement)
CHARGE = table_of(Charge)
PAYMENT = table_of(Payment)
DEBT = table_of(AccountDebt)


class StatementById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.rows(sa.select(*STATEMENT.c).where(STATEMENT.c.id.in_(ids))), "id")


class ChargeById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.rows(sa.select(*CHARGE.c).where(CHARGE.c.id.in_(ids))), "id")


class PaymentById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.rows(sa.select(*PAYMENT.c).where(PAYMENT.c.id.in_(ids))), "id")


class StatementPagesByAccount(PageLoader):
    """Statements («Расчёты»), the latest period first; the cursor is (period, id)."""

    def statement(self, parents: Sequence[int], args: PageArgs) -> Select[Any]:
        order = (STATEMENT.c.period, STATEMENT.c.id)
        statement = sa.select(*STATEMENT.c).where(STATEMENT.c.account_id.in_(parents), after_keyset(order, args.after))
        if args.months is not None:
            statement = statement.where(STATEMENT.c.period.between(args.months.first, args.months.last))
        return first_per_parent(
            statement, parent=STATEMENT.c.account_id, order_by=[c.desc() for c in order], limit=args.first + 1
        )


class PaymentPagesByAccount(PageLoader):
    """Payments («Оплаты») of every status, the latest first; the cursor is (created_at, id)."""

    def statement(self, parents: Sequence[int], args: PageArgs) -> Select[Any]:
        order = (PAYMENT.c.created_at, PAYMENT.c.id)
        statement = sa.select(*PAYMENT.c).where(PAYMENT.c.account_id.in_(parents), after_keyset(order, args.after))
        if args.months is not None:
            statement = statement.where(
                PAYMENT.c.created_at >= args.months.starts_at, PAYMENT.c.created_at < args.months.ends_before
            )
        return first_per_parent(
            statement, parent=PAYMENT.c.account_id, order_by=[c.desc() for c in order], limit=args.first + 1
        )


class ChargesByStatement(Loader[int, list[Any]]):
    """The lines of a statement: consumption per zone, then recalculations."""

    async def batch_load_fn(self, statement_ids: list[int]) -> list[list[Any]]:
        rows = await self.rows(
            sa.select(*CHARGE.c).where(CHARGE.c.statement_id.in_(statement_ids)).order_by(CHARGE.c.id)
        )
        return grouped(statement_ids, rows, "statement_id")


AccountMonth = tuple[int, date]


class PaymentsInMonth(Loader[AccountMonth, list[Any]]):
    """(account id, period) → the succeeded payments credited in that month (local time), as a statement counts them.

    One range scan over all asked accounts and months; rows are then sorted into their months here.
    """

    async def batch_load_fn(self, keys: list[AccountMonth]) -> list[list[Any]]:
        months = MonthRange(min(period for _, period in keys), max(period for _, period in keys))
        rows = await self.rows(
            sa.select(*PAYMENT.c)
            .where(
                PAYMENT.c.account_id.in_({account_id for account_id, _ in keys}),
                PAYMENT.c.status == PaymentStatus.SUCCEEDED,
                PAYMENT.c.paid_at >= months.starts_at,
                PAYMENT.c.paid_at < months.ends_before,
            )
            .order_by(PAYMENT.c.paid_at, PAYMENT.c.id)
        )
        found: defaultdict[AccountMonth, list[Any]] = defaultdict(list)
        for row in rows:
            found[(row.account_id, month_start(row.paid_at.astimezone(LOCAL_TZ).date()))].append(row)
        return [found.get(key, []) for key in keys]


class LastChargesByAccount(Loader[int, list[Any]]):
    """The consumption lines of an account's latest billed month («Начислено в …»)."""

    async def batch_load_fn(self, account_ids: list[int]) -> list[list[Any]]:
        # The latest statement's period, found per account through the (account_id, period) unique index.
        last_period = (
            sa.select(STATEMENT.c.account_id, sa.func.max(STATEMENT.c.period).label("period"))
            .where(STATEMENT.c.account_id.in_(account_ids))
            .group_by(STATEMENT.c.account_id)
            .subquery("last_period")
        )
        rows = await self.rows(
            sa.select(*CHARGE.c)
            .join(
                last_period,
                sa.and_(CHARGE.c.account_id == last_period.c.account_id, CHARGE.c.period == last_period.c.period),
            )
            .where(CHARGE.c.kind == ChargeKind.CONSUMPTION)
            .order_by(CHARGE.c.id)
        )
        return grouped(account_ids, rows, "account_id")


class DebtByAccount(Loader[int, Any]):
    async def batch_load_fn(self, account_ids: list[int]) -> list[Any]:
        return by_key(
            account_ids, await self.rows(sa.select(*DEBT.c).where(DEBT.c.account_id.in_(account_ids))), "account_id"
        )

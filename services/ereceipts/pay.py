"""Paying one statement through its pay link, without signing in («перейдя по ссылке, можно сразу произвести оплату»).

The link names one statement; the page shows only what the email already said (the account number masked, the
period, the amount due and the due date) and pays exactly the amount due: no other amount, account or statement can
be reached from it. One payment at a time: while one is pending another is refused (two could both be paid), and
once one succeeded the statement is paid and the link starts nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AccountDebt, Payment, PersonalAccount, Statement
from models.enums import PaymentMethod, PaymentStatus
from services.errors import DomainError, ErrorCode
from services.identity.contacts import normalize_email
from services.payments.start import PORTAL_METHODS, create_at_provider
from services.platform.database import run
from services.platform.runtime import Runtime


class PayState(StrEnum):
    PAYABLE = "payable"
    PENDING = "pending"  # a payment started from the link waits for the provider
    PAID = "paid"
    NOTHING_DUE = "nothing_due"  # the statement closed with nothing owed (or an overpayment)


@dataclass(frozen=True, slots=True)
class PayView:
    statement_id: int
    masked_account: str
    period: date
    amount_due: int  # kopecks
    due_on: date
    state: PayState
    payment: Payment | None  # the pending or succeeded payment, if any


def mask_account(number: str) -> str:
    """Only the last 4 digits, as on a bank's receipt: enough to recognise one's own account, not to link it."""
    return "•" * max(len(number) - 4, 0) + number[-4:]


async def _view(session: AsyncSession, statement_id: int) -> PayView | None:
    statement = await session.get(Statement, statement_id)
    if statement is None or statement.account_id is None:
        return None  # contracts' statements have no pay link
    account = await session.get(PersonalAccount, statement.account_id)
    assert account is not None
    payments = (
        await session.exec(
            select(Payment)
            .where(
                Payment.statement_id == statement_id,
                col(Payment.status).in_([PaymentStatus.SUCCEEDED, PaymentStatus.PENDING]),
            )
            .order_by(col(Payment.status).desc(), col(Payment.id).desc())  # SUCCEEDED before PENDING
        )
    ).all()
    paid = next((p for p in payments if p.status is PaymentStatus.SUCCEEDED), None)
    pending = next((p for p in payments if p.status is PaymentStatus.PENDING), None)
    due = max(statement.closing_balance, 0)
    if paid is not None:
        state, payment = PayState.PAID, paid
    elif pending is not None:
        state, payment = PayState.PENDING, pending
    else:
        state, payment = (PayState.PAYABLE if due > 0 else PayState.NOTHING_DUE), None
    return PayView(
        statement_id=statement_id,
        masked_account=mask_account(account.number),
        period=statement.period,
        amount_due=due,
        due_on=statement.due_on,
        state=state,
        payment=payment,
    )


async def pay_view(runtime: Runtime, *, statement_id: int) -> PayView | None:
    async with runtime.db.session() as session:
        return await _view(session, statement_id)


def _refusal(view: PayView, method: PaymentMethod) -> DomainError | None:
    if view.state is PayState.PAID:
        return DomainError.single(ErrorCode.ALREADY_PAID, "Эта квитанция уже оплачена", "input")
    if view.state is PayState.NOTHING_DUE:
        return DomainError.single(ErrorCode.NOTHING_TO_PAY, "По этой квитанции ничего не нужно платить", "input")
    if view.state is PayState.PENDING and view.payment is not None and view.payment.method is not method:
        return DomainError.single(
            ErrorCode.PAYMENT_IN_PROGRESS,
            "Оплата этой квитанции уже начата. Завершите её или подождите час, пока она отменится",
            "input",
        )
    return None


async def start_statement_payment(
    runtime: Runtime, *, statement_id: int, method: PaymentMethod, email: str, return_url: str
) -> Payment:
    """A PENDING payment of exactly the statement's amount due; the pending one again when asked again."""
    if method not in PORTAL_METHODS:
        raise DomainError.single(ErrorCode.INVALID_INPUT, "Выберите способ оплаты: СБП или банковская карта", "method")
    address = normalize_email(email)
    if address is None:
        raise DomainError.single(
            ErrorCode.INVALID_EMAIL, "Укажите адрес электронной почты для чека. Пример: ivanov@mail.ru", "email"
        )
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        # Payments of one statement take turns, so two clicks at once cannot start two payments.
        await run(
            session,
            sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:lock, 0))"),
            {"lock": f"statement-pay:{statement_id}"},
        )
        view = await _view(session, statement_id)
        if view is None:
            raise DomainError.single(ErrorCode.NOT_FOUND, "Квитанция не найдена", "input")
        refusal = _refusal(view, method)
        if refusal is not None:
            raise refusal
        if view.state is PayState.PENDING and view.payment is not None:
            return view.payment
        statement = await session.get(Statement, statement_id)
        assert statement is not None
        assert statement.account_id is not None
        account = await session.get(PersonalAccount, statement.account_id)
        assert account is not None
        debt = await session.get(AccountDebt, statement.account_id)
        # The penalty owed now is paid first out of the amount due, the rest is electricity (ГК РФ ст. 319.1 lets the
        # payer name what is paid; the statement's total is what the email asked for).
        penalty = min(max(debt.penalty, 0) if debt is not None else 0, view.amount_due)
        attempts = (
            await session.exec(select(func.count()).select_from(Payment).where(Payment.statement_id == statement_id))
        ).one()
        payment = await create_at_provider(
            runtime,
            session,
            account=account,
            debt=debt,
            amounts={"electricity": view.amount_due - penalty, "penalty": penalty, "state_duty": 0},
            method=method,
            scope=f"statement:{statement_id}:{attempts}",
            return_url=return_url,
            receipt_email=address,
            receipt_phone=None,
            now=now,
        )
        payment.statement_id = statement_id
        await session.commit()
    return payment

"""Settling a payment: the one place its status changes after it was started, whoever reports the result.

Rules (the same for the signed development callback, ЮKassa's notifications and the timeout job):
- SUCCEEDED credits a PENDING, FAILED or CANCELLED payment (the money did arrive) and never one already SUCCEEDED,
  so a result reported twice, or by two routes at once (the caller holds the payment's row lock), credits once;
- FAILED or CANCELLED only end a PENDING payment.
Every change writes `payment.status_changed` to the account's channel in the same transaction.

Crediting lowers the account's debt by the split: electricity may go below zero (an advance); penalty and state
duty stop at zero and what exceeds them (the debt was lowered meanwhile, say by a bank payment) goes to electricity,
so no paid kopeck is lost.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AccountDebt, Payment
from models.enums import PaymentStatus
from services.events.outbox import record_event
from services.payments.events import PaymentStatusChanged

STATUS_CHANGED = PaymentStatusChanged.type
ENDINGS = frozenset({PaymentStatus.FAILED, PaymentStatus.CANCELLED})


async def credit(session: AsyncSession, payment: Payment, *, now: datetime) -> None:
    if payment.account_id is None:
        return  # a contract's delivery point: its debt is its statements' balance (services/billing), no debt row
    debt = (
        await session.exec(select(AccountDebt).where(AccountDebt.account_id == payment.account_id).with_for_update())
    ).first()
    if debt is None:
        debt = AccountDebt(account_id=payment.account_id, electricity=0, penalty=0, state_duty=0, updated_at=now)
    penalty_paid = min(payment.penalty, max(debt.penalty, 0))
    duty_paid = min(payment.state_duty, max(debt.state_duty, 0))
    debt.penalty -= penalty_paid
    debt.state_duty -= duty_paid
    debt.electricity -= payment.amount - penalty_paid - duty_paid
    debt.updated_at = now
    session.add(debt)


def record_change(session: AsyncSession, payment: Payment, *, old: PaymentStatus, now: datetime) -> None:
    record_event(session, PaymentStatusChanged.of(payment, old=old, now=now), now=now)


async def settle(
    session: AsyncSession, payment: Payment, *, status: PaymentStatus, paid_at: datetime | None, now: datetime
) -> bool:
    """Apply a reported result to `payment` (locked by the caller); whether anything changed. Does not commit."""
    old = payment.status
    if status is PaymentStatus.SUCCEEDED and old is not PaymentStatus.SUCCEEDED:
        payment.status = PaymentStatus.SUCCEEDED
        payment.paid_at = paid_at or now
        await credit(session, payment, now=now)
    elif status in ENDINGS and old is PaymentStatus.PENDING:
        payment.status = status
    else:
        return False
    session.add(payment)
    record_change(session, payment, old=old, now=now)
    return True

"""A provider's callback: `{callbackId, paymentId, status, paidAt}` signed with HMAC-SHA256 of the raw body.

The callback is stored once per (provider, callbackId), in the transaction that applies it: the same callback again
finds it stored and changes nothing, so a payment is credited once however often the provider retries.
Only a PENDING payment fails; a SUCCEEDED callback credits a PENDING, FAILED or CANCELLED payment (the money did
arrive), and never one already SUCCEEDED.

Crediting lowers the account's debt by the split: electricity may go below zero (an advance); penalty and state
duty stop at zero and what exceeds them (the debt was lowered meanwhile, say by a bank payment) goes to electricity,
so no paid kopeck is lost.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AccountDebt, Payment, PaymentCallback
from models.enums import PaymentStatus
from services.events.outbox import record_event
from services.payments.events import PaymentStatusChanged
from services.platform.database import run
from services.platform.runtime import Runtime

MAX_ID_LENGTH = 100
CALLBACK = PaymentCallback.__table__  # type: ignore[attr-defined]


class CallbackOutcome(StrEnum):
    APPLIED = "applied"  # the payment changed status
    IGNORED = "ignored"  # stored, but the payment was already past what it reports
    REPEATED = "repeated"  # this callback id came before; nothing changed
    BAD_SIGNATURE = "bad_signature"
    BAD_REQUEST = "bad_request"
    UNKNOWN_PAYMENT = "unknown_payment"


@dataclass(frozen=True, slots=True)
class CallbackBody:
    callback_id: str
    payment_id: str
    status: PaymentStatus
    paid_at: datetime | None
    raw: dict[str, Any]


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, signature: str | None) -> bool:
    return signature is not None and hmac.compare_digest(sign(secret, body), signature.strip().lower())


def _short_id(value: object) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH else None


def parse_body(body: bytes) -> CallbackBody | None:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    callback_id, payment_id = _short_id(data.get("callbackId")), _short_id(data.get("paymentId"))
    status = data.get("status")
    if callback_id is None or payment_id is None or status not in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED):
        return None
    paid_at = None
    if isinstance(data.get("paidAt"), str):
        try:
            paid_at = datetime.fromisoformat(data["paidAt"])
        except ValueError:
            return None
        if paid_at.tzinfo is None:
            return None
    elif data.get("paidAt") is not None:
        return None
    return CallbackBody(callback_id, payment_id, PaymentStatus(status), paid_at, data)


async def _credit(session: AsyncSession, payment: Payment, *, now: datetime) -> None:
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


async def handle_callback(runtime: Runtime, *, provider: str, body: bytes, signature: str | None) -> CallbackOutcome:
    """Check the signature before reading anything; then apply the callback once, with its event, or nothing."""
    if not signature_valid(runtime.settings.payment_callback_secret, body, signature):
        return CallbackOutcome.BAD_SIGNATURE
    parsed = parse_body(body)
    if parsed is None or (parsed.status is PaymentStatus.SUCCEEDED and parsed.paid_at is None):
        return CallbackOutcome.BAD_REQUEST
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        payment = (
            await session.exec(
                select(Payment)
                .where(Payment.provider == provider, Payment.provider_payment_id == parsed.payment_id)
                .with_for_update()
            )
        ).first()
        if payment is None:
            return CallbackOutcome.UNKNOWN_PAYMENT
        stored = await run(
            session,
            insert(CALLBACK)
            .values(
                provider=provider,
                callback_id=parsed.callback_id,
                payment_id=payment.id,
                payload=parsed.raw,
                received_at=now,
            )
            .on_conflict_do_nothing(index_elements=["provider", "callback_id"])
            .returning(sa.literal_column("id")),
        )
        if stored.first() is None:
            return CallbackOutcome.REPEATED
        old = payment.status
        if parsed.status is PaymentStatus.SUCCEEDED and old is not PaymentStatus.SUCCEEDED:
            payment.status = PaymentStatus.SUCCEEDED
            payment.paid_at = parsed.paid_at
            await _credit(session, payment, now=now)
        elif parsed.status is PaymentStatus.FAILED and old is PaymentStatus.PENDING:
            payment.status = PaymentStatus.FAILED
        else:
            await session.commit()
            return CallbackOutcome.IGNORED
        session.add(payment)
        record_event(session, PaymentStatusChanged.of(payment, old=old, now=now), now=now)
        await session.commit()
    return CallbackOutcome.APPLIED

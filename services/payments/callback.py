"""A provider's callback: `{callbackId, paymentId, status, paidAt}` signed with HMAC-SHA256 of the raw body.

The callback is stored once per (provider, callbackId), in the transaction that applies it: the same callback again
finds it stored and changes nothing, so a payment is credited once however often the provider retries.
Only the development provider reports by signed callbacks: a provider whose results are read back from its own API
(ЮKassa) never gets a payment settled here, whatever the signature, and production has no development provider.
What a result does to the payment and the debt: services/payments/settle.py.
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

from models import Payment, PaymentCallback
from models.enums import PaymentStatus
from services.payments.provider import DEV_PROVIDER
from services.payments.settle import STATUS_CHANGED, settle
from services.platform.database import run
from services.platform.runtime import Runtime

__all__ = ["STATUS_CHANGED", "CallbackOutcome", "handle_callback"]

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


async def handle_callback(runtime: Runtime, *, provider: str, body: bytes, signature: str | None) -> CallbackOutcome:
    """Check the signature before reading anything; then apply the callback once, with its event, or nothing."""
    if not signature_valid(runtime.settings.payment_callback_secret, body, signature):
        return CallbackOutcome.BAD_SIGNATURE
    parsed = parse_body(body)
    if parsed is None or (parsed.status is PaymentStatus.SUCCEEDED and parsed.paid_at is None):
        return CallbackOutcome.BAD_REQUEST
    if provider != DEV_PROVIDER or runtime.settings.environment.value != "development":
        return CallbackOutcome.UNKNOWN_PAYMENT
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
        changed = await settle(session, payment, status=parsed.status, paid_at=parsed.paid_at, now=now)
        await session.commit()
    return CallbackOutcome.APPLIED if changed else CallbackOutcome.IGNORED

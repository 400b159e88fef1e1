"""ЮKassa's notifications (`payment.succeeded`, `payment.canceled`), and the job that settles payments left PENDING.

A notification is not signed, so its body is only a hint of which payment to look at: the payment is read back
from ЮKassa (`GET /payments/{id}`, authenticated by our secret key) and what ЮKassa answers is applied; the body's
status and amount are never believed. So a forged notification (an id we never issued, or a payment not paid)
credits nothing, a duplicate credits once (services/payments/settle.py), and notifications arriving out of order
(`canceled` after `succeeded`, or `succeeded` after we expired the payment) end in ЮKassa's actual state.
The same read-back settles payments still PENDING past the provider's timeout: ЮKassa cancels an unpaid payment
after an hour; one it still calls pending beyond our margin is cancelled here, and should its money arrive later
after all, its `payment.succeeded` still credits it.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

import orjson
import structlog
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from models import Payment, PaymentCallback
from models.enums import PaymentStatus
from services.payments.provider import PaymentProvider, ProviderState, ProviderUnavailable, provider_named
from services.payments.settle import settle
from services.platform.database import run
from services.platform.runtime import Runtime

log = structlog.get_logger("payments")

EVENTS = frozenset({"payment.succeeded", "payment.canceled", "payment.waiting_for_capture"})
STALE_BATCH = 50
NOTIFICATION = PaymentCallback.__table__  # type: ignore[attr-defined]


class NotificationOutcome(StrEnum):
    APPLIED = "applied"  # the payment changed status as ЮKassa reports it
    UNCHANGED = "unchanged"  # ЮKassa's state changes nothing (a duplicate, or still pending)
    UNKNOWN_PAYMENT = "unknown_payment"  # we never issued it, or ЮKassa does not know it: forged
    BAD_REQUEST = "bad_request"
    UNAVAILABLE = "unavailable"  # ЮKassa could not be asked: it retries the notification later


def parse_notification(body: bytes) -> tuple[str, str] | None:
    """(event, payment id) of a notification `{"type": "notification", "event": …, "object": {"id": …}}`."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or data.get("type") != "notification" or data.get("event") not in EVENTS:
        return None
    payment = data.get("object")
    payment_id = payment.get("id") if isinstance(payment, dict) else None
    if not isinstance(payment_id, str) or not 0 < len(payment_id) <= 100:
        return None
    return data["event"], payment_id


async def _apply(runtime: Runtime, payment_id: int, state: ProviderState | None, *, expire: bool) -> bool:
    """Apply ЮKassa's `state` to our payment under its row lock; `expire`: a payment still pending is cancelled."""
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        payment = (await session.exec(select(Payment).where(Payment.id == payment_id).with_for_update())).one()
        if state is not None and state.status is PaymentStatus.SUCCEEDED and state.amount != payment.amount:
            # Never credit a sum other than the one the customer chose; a person must look at it.
            log.error("provider reports another amount", payment=payment.id, ours=payment.amount, theirs=state.amount)
            return False
        if state is not None and state.status is not PaymentStatus.PENDING:
            status, paid_at = state.status, state.paid_at
        elif expire:
            status, paid_at = PaymentStatus.CANCELLED, None
        else:
            return False
        changed = await settle(session, payment, status=status, paid_at=paid_at, now=now)
        await session.commit()
    return changed


async def handle_notification(runtime: Runtime, *, provider: str, body: bytes) -> NotificationOutcome:
    parsed = parse_notification(body)
    if parsed is None:
        return NotificationOutcome.BAD_REQUEST
    event, provider_payment_id = parsed
    adapter = provider_named(runtime, provider)
    if adapter is None:
        return NotificationOutcome.UNKNOWN_PAYMENT
    async with runtime.db.session() as session:
        payment_id = (
            await session.exec(
                select(Payment.id).where(
                    Payment.provider == provider, Payment.provider_payment_id == provider_payment_id
                )
            )
        ).first()
        if payment_id is None:
            return NotificationOutcome.UNKNOWN_PAYMENT
        # Kept for the record (what came, when); not a guard: the same notification again is read back again.
        await run(
            session,
            insert(NOTIFICATION)
            .values(
                provider=provider,
                callback_id=f"{event}:{provider_payment_id}"[:100],
                payment_id=payment_id,
                payload=orjson.loads(body),
                received_at=runtime.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["provider", "callback_id"]),
        )
        await session.commit()
    try:
        state = await adapter.fetch(provider_payment_id)
    except ProviderUnavailable as error:
        log.warning("cannot verify a notification", payment=payment_id, error=str(error))
        return NotificationOutcome.UNAVAILABLE
    if state is None:
        log.warning("notification for a payment the provider does not know", payment=payment_id, kind=event)
        return NotificationOutcome.UNKNOWN_PAYMENT
    changed = await _apply(runtime, payment_id, state, expire=False)
    return NotificationOutcome.APPLIED if changed else NotificationOutcome.UNCHANGED


async def _stale(runtime: Runtime, *, batch: int) -> list[tuple[int, str, str]]:
    deadline = runtime.clock.now() - timedelta(minutes=runtime.settings.payment_pending_timeout_minutes)
    async with runtime.db.session() as session:
        rows = await session.exec(
            select(Payment.id, Payment.provider, Payment.provider_payment_id)
            .where(
                Payment.status == PaymentStatus.PENDING,
                col(Payment.created_at) < deadline,
                col(Payment.provider_payment_id).is_not(None),
            )
            .order_by(col(Payment.created_at))
            .limit(batch)
        )
        return [(row[0], row[1], row[2]) for row in rows if row[0] is not None and row[2] is not None]


async def settle_stale_payments(runtime: Runtime, *, batch: int = STALE_BATCH) -> int:
    """Read back payments PENDING past the timeout and settle them; how many changed.

    A payment of a provider that is not the configured one (say `dev` payments after switching to ЮKassa) has no one
    to ask and is cancelled. One ЮKassa could not be asked about stays PENDING for the next run.
    """
    changed = 0
    for payment_id, provider_name, provider_payment_id in await _stale(runtime, batch=batch):
        adapter: PaymentProvider | None = provider_named(runtime, provider_name)
        state = None
        if adapter is not None:
            try:
                state = await adapter.fetch(provider_payment_id)
            except ProviderUnavailable as error:
                log.warning("cannot read back a stale payment", payment=payment_id, error=str(error))
                continue
        changed += await _apply(runtime, payment_id, state, expire=True)
    return changed

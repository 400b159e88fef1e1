"""The delivery job: claims pending messages (`FOR UPDATE SKIP LOCKED`), sends them, marks them SENT or retries.

A gateway that is down costs retries, not messages: a failed send is retried with a growing pause and marked FAILED
(with the last error) only after `MAX_ATTEMPTS`.

Email leaves at most `EMAIL_RATE_PER_SECOND` per process (a token bucket on the runtime's clock, a second's worth
deep): a month's e-receipts do not trip the SMTP relay's limits, and SMS are never held up behind them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import DeliveryStatus, MessageChannel
from models.infra import OutboundMessage, StoredFile
from services.messaging.compose import NothingToSend
from services.messaging.composers import COMPOSERS
from services.messaging.gateways import Attachment, Outgoing
from services.messaging.outbound import scrub_if_secret
from services.platform.database import run
from services.platform.listener import PostgresListener, shared_listener
from services.platform.runtime import Runtime

log = structlog.get_logger("messaging")

# A queued message NOTIFYs this channel on commit (migration jobs_0001): the job sleeps until then, or until a retry.
QUEUED_CHANNEL = "outbound_message"
MAX_ATTEMPTS = 8
BATCH = 20
FIRST_RETRY = timedelta(seconds=5)


def retry_delay(attempts: int) -> timedelta:
    return FIRST_RETRY * int(2 ** (attempts - 1))


@dataclass
class EmailBucket:
    """Tokens for sending email: `rate` a second, at most a second's worth saved up."""

    rate: float
    tokens: float
    at: datetime

    def refill(self, now: datetime) -> None:
        elapsed = max((now - self.at).total_seconds(), 0.0)
        self.tokens = min(max(self.rate, 1.0), self.tokens + elapsed * self.rate)
        self.at = now


def email_bucket(runtime: Runtime) -> EmailBucket:
    rate = runtime.settings.email_rate_per_second
    bucket = runtime.email_bucket
    if bucket is None or bucket.rate != rate:
        bucket = runtime.email_bucket = EmailBucket(rate=rate, tokens=max(rate, 1.0), at=runtime.clock.now())
    return bucket


def _due(now: datetime, *, email: bool) -> sa.Select[Any]:
    retry_at = OutboundMessage.meta["retry_at"].astext  # type: ignore[index]
    return (
        sa.select(OutboundMessage)
        .where(
            OutboundMessage.status == DeliveryStatus.PENDING,  # type: ignore[arg-type]
            sa.or_(retry_at.is_(None), sa.cast(retry_at, sa.DateTime(timezone=True)) <= now),
            sa.true() if email else OutboundMessage.channel == MessageChannel.SMS,  # type: ignore[arg-type]
        )
        .order_by(OutboundMessage.id)  # type: ignore[arg-type]
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def listen_for_queued(runtime: Runtime) -> PostgresListener:
    """The delivery job's wake: a notification from each commit that queued messages."""
    return shared_listener(runtime, QUEUED_CHANNEL)


async def next_due(runtime: Runtime) -> float | None:
    """Seconds until the earliest pending message may be sent (0 or less: one may now); None when none is pending.

    A retry's time comes without a notification: the job wakes for it at this time."""
    retry_at = sa.cast(OutboundMessage.meta["retry_at"].astext, sa.DateTime(timezone=True))  # type: ignore[index]
    now = runtime.clock.now()
    earliest = sa.select(sa.func.min(sa.func.coalesce(retry_at, now))).where(
        OutboundMessage.status == DeliveryStatus.PENDING  # type: ignore[arg-type]
    )
    async with runtime.db.session() as session:
        at = (await run(session, earliest)).scalar()
    return None if at is None else (at - now).total_seconds()


async def deliver_pending(runtime: Runtime, *, batch: int = BATCH) -> int:
    """Send up to `batch` due messages; how many were handled (sent or given up).

    Each message is claimed, sent and marked in a transaction of its own: what was handed to a gateway is recorded
    at once, and one message that fails in any way costs an attempt of its own, never a resend of the others.
    """
    handled = 0
    bucket = email_bucket(runtime)
    for _ in range(batch):
        now = runtime.clock.now()
        bucket.refill(now)
        async with runtime.db.session() as session:
            message = (await run(session, _due(now, email=bucket.tokens >= 1))).scalars().first()
            if message is None:
                break
            if message.channel is MessageChannel.EMAIL:
                bucket.tokens -= 1
            try:
                await _send(runtime, session, message, now)
            except NothingToSend as gone:
                message.status = DeliveryStatus.FAILED
                message.last_error = str(gone)[:1000] or "nothing to send"
                handled += 1
            except Exception as error:  # noqa: BLE001 - any failure is this message's failed attempt
                handled += _failed(message, error, now)
            else:
                message.attempts += 1
                message.status = DeliveryStatus.SENT
                message.sent_at = now
                scrub_if_secret(message)
                handled += 1
            await session.commit()
    return handled


async def _stored_attachment(runtime: Runtime, session: AsyncSession, file_id: int) -> Attachment:
    stored = await session.get(StoredFile, file_id)
    if stored is None:
        raise NothingToSend(f"the attached file {file_id} is gone")
    data = await runtime.file_storage.open(stored.storage_key)
    return Attachment(filename=stored.filename, content_type=stored.content_type, data=data)


async def _send(runtime: Runtime, session: AsyncSession, message: OutboundMessage, now: datetime) -> None:
    assert message.id is not None
    outgoing = Outgoing(
        id=message.id,
        to=message.recipient,
        sender=message.sender,
        text=message.body,
        kind=message.kind,
        at=now,
        subject=message.subject,
        html=message.html_body,
    )
    if message.channel is MessageChannel.SMS:
        await runtime.sms_gateway.send_sms(outgoing)
        return
    composer = COMPOSERS.get(message.kind)
    if composer is not None:
        composed = await composer(runtime, session, message)
        outgoing = replace(
            outgoing,
            subject=composed.subject,
            text=composed.text,
            html=composed.html,
            attachments=composed.attachments,
        )
    elif message.attachment_file_id is not None:
        outgoing = replace(
            outgoing, attachments=(await _stored_attachment(runtime, session, message.attachment_file_id),)
        )
    await runtime.email_gateway.send_email(outgoing)


def _failed(message: OutboundMessage, error: Exception, now: datetime) -> int:
    """Count a failed attempt; 1 when the message is given up (FAILED), else 0 (retried later)."""
    message.attempts += 1
    message.last_error = (str(error) or type(error).__name__)[:1000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = DeliveryStatus.FAILED
        scrub_if_secret(message)  # a code is worthless after its 10 minutes; nobody needs it readable
        log.error("message undeliverable", id=message.id, kind=message.kind, error=message.last_error)
        return 1
    message.meta = {**(message.meta or {}), "retry_at": (now + retry_delay(message.attempts)).isoformat()}
    log.warning("message delivery failed", id=message.id, attempts=message.attempts, error=message.last_error)
    return 0

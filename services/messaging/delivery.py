"""The delivery job: claims pending messages (`FOR UPDATE SKIP LOCKED`), sends them, marks them SENT or retries.

A gateway that is down costs retries, not messages: a failed send is retried with a growing pause and marked FAILED
(with the last error) only after `MAX_ATTEMPTS`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog

from models.enums import DeliveryStatus, MessageChannel
from models.infra import OutboundMessage
from services.messaging.gateways import Outgoing, email_gateway, sms_gateway
from services.messaging.outbound import scrub_if_secret
from services.platform.background import JOBS, Job
from services.platform.database import run
from services.platform.runtime import Runtime

log = structlog.get_logger("messaging")

MAX_ATTEMPTS = 8
BATCH = 20
FIRST_RETRY = timedelta(seconds=5)


def retry_delay(attempts: int) -> timedelta:
    return FIRST_RETRY * int(2 ** (attempts - 1))


def _due(now: datetime) -> sa.Select[Any]:
    retry_at = OutboundMessage.meta["retry_at"].astext  # type: ignore[index]
    return (
        sa.select(OutboundMessage)
        .where(
            OutboundMessage.status == DeliveryStatus.PENDING,  # type: ignore[arg-type]
            sa.or_(retry_at.is_(None), sa.cast(retry_at, sa.DateTime(timezone=True)) <= now),
        )
        .order_by(OutboundMessage.id)  # type: ignore[arg-type]
        .limit(1)
        .with_for_update(skip_locked=True)
    )


async def deliver_pending(runtime: Runtime, *, batch: int = BATCH) -> int:
    """Send up to `batch` due messages; how many were handled (sent or given up).

    Each message is claimed, sent and marked in a transaction of its own: what was handed to a gateway is recorded
    at once, and one message that fails in any way costs an attempt of its own, never a resend of the others.
    """
    handled = 0
    for _ in range(batch):
        now = runtime.clock.now()
        async with runtime.db.session() as session:
            message = (await run(session, _due(now))).scalars().first()
            if message is None:
                break
            try:
                await _send(runtime, message, now)
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


async def _send(runtime: Runtime, message: OutboundMessage, now: datetime) -> None:
    assert message.id is not None
    outgoing = Outgoing(
        id=message.id,
        to=message.recipient,
        sender=message.sender,
        text=message.body,
        kind=message.kind,
        at=now,
        subject=message.subject,
    )
    if message.channel is MessageChannel.SMS:
        await sms_gateway(runtime).send_sms(outgoing)
    else:
        await email_gateway(runtime).send_email(outgoing)


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


JOBS.append(Job(name="deliver-messages", run_once=deliver_pending))

"""The delivery job: claims pending messages (`FOR UPDATE SKIP LOCKED`), sends them, marks them SENT or retries.

A gateway that is down costs retries, not messages: a failed send is retried with a growing pause and marked FAILED
(with the last error) only after `MAX_ATTEMPTS`.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import structlog

from models.enums import DeliveryStatus, MessageChannel
from models.infra import OutboundMessage
from services.messaging.gateways import DeliveryError, Outgoing, email_gateway, sms_gateway
from services.platform.background import JOBS, Job
from services.platform.database import run
from services.platform.runtime import Runtime

log = structlog.get_logger("messaging")

MAX_ATTEMPTS = 8
BATCH = 20
FIRST_RETRY = timedelta(seconds=5)


def retry_delay(attempts: int) -> timedelta:
    return FIRST_RETRY * int(2 ** (attempts - 1))


async def deliver_pending(runtime: Runtime, *, batch: int = BATCH) -> int:
    """Send one batch of due messages; how many were handled (sent or given up)."""
    now = runtime.clock.now()
    retry_at = OutboundMessage.meta["retry_at"].astext  # type: ignore[index]
    statement = (
        sa.select(OutboundMessage)
        .where(
            OutboundMessage.status == DeliveryStatus.PENDING,  # type: ignore[arg-type]
            sa.or_(retry_at.is_(None), sa.cast(retry_at, sa.DateTime(timezone=True)) <= now),
        )
        .order_by(OutboundMessage.id)  # type: ignore[arg-type]
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    handled = 0
    async with runtime.db.session() as session:
        messages = (await run(session, statement)).scalars().all()
        for message in messages:
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
            try:
                if message.channel is MessageChannel.SMS:
                    await sms_gateway(runtime).send_sms(outgoing)
                else:
                    await email_gateway(runtime).send_email(outgoing)
            except DeliveryError as error:
                message.attempts += 1
                message.last_error = str(error)[:1000]
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = DeliveryStatus.FAILED
                    handled += 1
                    log.error("message undeliverable", id=message.id, kind=message.kind, error=message.last_error)
                else:
                    message.meta = {
                        **(message.meta or {}),
                        "retry_at": (now + retry_delay(message.attempts)).isoformat(),
                    }
                    log.warning("message delivery failed", id=message.id, attempts=message.attempts, error=str(error))
                continue
            message.attempts += 1
            message.status = DeliveryStatus.SENT
            message.sent_at = now
            handled += 1
        await session.commit()
    return handled


JOBS.append(Job(name="deliver-messages", run_once=deliver_pending))

"""Queueing SMS and email in the caller's transaction: a message exists exactly when the change it reports does."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import MessageChannel
from models.infra import OutboundMessage


def queue_sms(
    session: AsyncSession, *, to: str, text: str, kind: str, sender: str, now: datetime, customer_id: int | None = None
) -> OutboundMessage:
    message = OutboundMessage(
        channel=MessageChannel.SMS,
        sender=sender,
        recipient=to,
        body=text,
        kind=kind,
        created_at=now,
        customer_id=customer_id,
    )
    session.add(message)
    return message


def queue_email(
    session: AsyncSession,
    *,
    to: str,
    subject: str,
    text: str,
    kind: str,
    sender: str,
    now: datetime,
    customer_id: int | None = None,
    html: str | None = None,
    attachment_file_id: int | None = None,
) -> OutboundMessage:
    """An email; `html` an HTML alternative of `text`, `attachment_file_id` a stored file attached when sent."""
    message = OutboundMessage(
        channel=MessageChannel.EMAIL,
        sender=sender,
        recipient=to,
        subject=subject,
        body=text,
        kind=kind,
        created_at=now,
        customer_id=customer_id,
        html_body=html,
        attachment_file_id=attachment_file_id,
    )
    session.add(message)
    return message

"""Queueing SMS and email in the caller's transaction: a message exists exactly when the change it reports does.

A message marked `secret` (it carries a one-time code) loses its text once delivered or given up: the code is stored
hashed in `one_time_code`, and a readable copy beside it would undo that. What support needs stays: the kind,
recipient, subject, status and times.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import MessageChannel
from models.infra import OutboundMessage

SCRUBBED_BODY = "[текст с кодом удалён после отправки]"
SECRET_FLAG = "secret"


def queue_sms(
    session: AsyncSession,
    *,
    to: str,
    text: str,
    kind: str,
    sender: str,
    now: datetime,
    customer_id: int | None = None,
    secret: bool = False,
) -> OutboundMessage:
    message = OutboundMessage(
        channel=MessageChannel.SMS,
        sender=sender,
        recipient=to,
        body=text,
        kind=kind,
        created_at=now,
        customer_id=customer_id,
        meta={SECRET_FLAG: True} if secret else None,
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
    secret: bool = False,
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
        meta={SECRET_FLAG: True} if secret else None,
    )
    session.add(message)
    return message


def scrub_if_secret(message: OutboundMessage) -> None:
    """Drop the text of a delivered (or abandoned) message that carried a code."""
    if (message.meta or {}).get(SECRET_FLAG):
        message.body = SCRUBBED_BODY

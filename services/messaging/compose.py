"""Emails made at send time from what they are about (a statement, …), not from text stored when queued.

Each message kind made so has a composer (listed in services/messaging/composers.py); the delivery job asks it for
the subject, the text and HTML parts and the attachments each time it sends, so a queued message stays a small row
however large its PDF, and a link in it (say a signed pay link) is fresh when it leaves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from models.infra import OutboundMessage
from services.messaging.gateways import Attachment
from services.platform.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Composed:
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()


class NothingToSend(Exception):
    """What the message was about is gone (say the statement was annulled): it is given up, not retried."""


# Called inside the delivery's own transaction (which holds the message's row lock): read through `session`.
Composer = Callable[[Runtime, AsyncSession, OutboundMessage], Awaitable[Composed]]

"""Writing events: in the caller's transaction, next to the change they report (the transactional outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models import OutboxEvent


def record_event(
    session: AsyncSession, *, type: str, channels: Sequence[str], payload: dict[str, Any], now: datetime
) -> OutboxEvent:
    """Add an event to the caller's unit of work; it is published only if that unit commits."""
    if not channels:
        raise ValueError("an event needs at least one channel")
    event = OutboxEvent(type=type, channels=list(channels), payload=payload, created_at=now)
    session.add(event)
    return event


def account_channel(account_id: int) -> str:
    return f"account:{account_id}"


def contract_channel(contract_id: int) -> str:
    return f"contract:{contract_id}"


def customer_channel(customer_id: int) -> str:
    return f"customer:{customer_id}"


def appeal_channel(appeal_id: int) -> str:
    return f"appeal:{appeal_id}"


def session_channel(session_id: object) -> str:
    return f"session:{session_id}"


OPERATORS_CHANNEL = "operators"

"""Writing events: in the caller's transaction, next to the change they report (the transactional outbox)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import OutboxEvent
from services.events.kinds import DomainEvent

# The outbox's trigger NOTIFYs this PostgreSQL channel from every transaction that writes events (delivered on commit,
# to every process); the relays LISTEN on it (migrations/versions/events_0003_outbox_notify.py).
OUTBOX_NOTIFY_CHANNEL = "outbox_event"


def record_event(session: AsyncSession, event: DomainEvent, *, now: datetime) -> OutboxEvent:
    """Add an event to the caller's unit of work; it is published only if that unit commits (the table's trigger
    wakes the relays then)."""
    channels = event.channels()
    if not channels:
        raise ValueError("an event needs at least one channel")
    row = OutboxEvent(type=event.type, channels=list(channels), payload=event.to_payload(), created_at=now)
    session.add(row)
    return row


# The channels events are addressed to; a subscription listens on some of them.


def account_channel(account_id: int) -> str:
    return f"account:{account_id}"


def contract_channel(contract_id: int) -> str:
    return f"contract:{contract_id}"


def customer_channel(customer_id: int) -> str:
    return f"customer:{customer_id}"


def appeal_channel(appeal_id: int) -> str:
    return f"appeal:{appeal_id}"


OPERATORS_CHANNEL = "operators"
SESSIONS_CHANNEL = "sessions"  # revoked sessions: every process's session guard listens

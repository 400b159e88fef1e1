"""Events of appeals, written in the transaction of the change they report.

Every event goes to the appeal's channel (a chat window), the owner's channel (all of a customer's appeals, any
device) and the operators' channel (the inbox): messages, and changes without a message (assignment, closing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Appeal, AppealMessage
from models.enums import AppealStatus, Role
from services.events.kinds import DomainEvent
from services.events.outbox import OPERATORS_CHANNEL, appeal_channel, customer_channel, record_event


class InboxChange(StrEnum):
    NEW_APPEAL = "NEW_APPEAL"
    CUSTOMER_MESSAGE = "CUSTOMER_MESSAGE"
    OPERATOR_REPLY = "OPERATOR_REPLY"
    ASSIGNED = "ASSIGNED"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class AppealEvent(DomainEvent):
    """What every appeal event says: which appeal, whose, its status after the change, and what changed."""

    appeal_id: int
    customer_id: int
    status: AppealStatus
    change: InboxChange

    def channels(self) -> tuple[str, ...]:
        return (appeal_channel(self.appeal_id), customer_channel(self.customer_id), OPERATORS_CHANNEL)


@dataclass(frozen=True, slots=True)
class AppealMessageAdded(AppealEvent):
    type: ClassVar[str] = "appeal.message_added"

    message_id: int
    author_role: Role


@dataclass(frozen=True, slots=True)
class AppealChanged(AppealEvent):
    """A change without a message: assigned or closed."""

    type: ClassVar[str] = "appeal.changed"


def message_added(
    session: AsyncSession, appeal: Appeal, message: AppealMessage, *, change: InboxChange, now: datetime
) -> None:
    assert appeal.id is not None
    assert message.id is not None
    event = AppealMessageAdded(
        appeal_id=appeal.id,
        customer_id=appeal.customer_id,
        status=appeal.status,
        change=change,
        message_id=message.id,
        author_role=message.author_role,
    )
    record_event(session, event, now=now)


def appeal_changed(session: AsyncSession, appeal: Appeal, *, change: InboxChange, now: datetime) -> None:
    assert appeal.id is not None
    event = AppealChanged(appeal_id=appeal.id, customer_id=appeal.customer_id, status=appeal.status, change=change)
    record_event(session, event, now=now)

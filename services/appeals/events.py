"""Events of appeals, written in the transaction of the change they report.

Every message goes to the appeal's channel (a chat window), the owner's channel (all of a customer's appeals, any
device) and the operators' channel (the inbox); changes without a message (assignment, closing) go there too.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Appeal, AppealMessage
from services.outbox import OPERATORS_CHANNEL, appeal_channel, customer_channel, record_event

MESSAGE_ADDED = "appeal.message_added"
APPEAL_CHANGED = "appeal.changed"
APPEAL_EVENT_TYPES = frozenset({MESSAGE_ADDED, APPEAL_CHANGED})


class InboxChange(StrEnum):
    NEW_APPEAL = "NEW_APPEAL"
    CUSTOMER_MESSAGE = "CUSTOMER_MESSAGE"
    OPERATOR_REPLY = "OPERATOR_REPLY"
    ASSIGNED = "ASSIGNED"
    CLOSED = "CLOSED"


def _channels(appeal: Appeal) -> list[str]:
    assert appeal.id is not None
    return [appeal_channel(appeal.id), customer_channel(appeal.customer_id), OPERATORS_CHANNEL]


def message_added(
    session: AsyncSession, appeal: Appeal, message: AppealMessage, *, change: InboxChange, now: datetime
) -> None:
    record_event(
        session,
        type=MESSAGE_ADDED,
        channels=_channels(appeal),
        payload={
            "appealId": appeal.id,
            "messageId": message.id,
            "authorRole": message.author_role.value,
            "status": appeal.status.value,
            "change": change.value,
        },
        now=now,
    )


def appeal_changed(session: AsyncSession, appeal: Appeal, *, change: InboxChange, now: datetime) -> None:
    record_event(
        session,
        type=APPEAL_CHANGED,
        channels=_channels(appeal),
        payload={"appealId": appeal.id, "status": appeal.status.value, "change": change.value},
        now=now,
    )

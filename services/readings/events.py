"""`reading.status_changed`: written with the status change it reports, addressed to the meter's owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlmodel.ext.asyncio.session import AsyncSession

from models import ReadingSubmission
from models.enums import SubmissionStatus
from services.events.kinds import DomainEvent
from services.events.outbox import account_channel, contract_channel, record_event


@dataclass(frozen=True, slots=True)
class ReadingStatusChanged(DomainEvent):
    type: ClassVar[str] = "reading.status_changed"

    submission_id: int
    account_id: int | None
    contract_id: int | None
    old: SubmissionStatus | None  # None: just submitted
    new: SubmissionStatus
    at: datetime
    reason: str | None

    def channels(self) -> tuple[str, ...]:
        """Only the customers linked to the meter's account (or contract) listen on these."""
        owners = []
        if self.account_id is not None:
            owners.append(account_channel(self.account_id))
        if self.contract_id is not None:
            owners.append(contract_channel(self.contract_id))
        return tuple(owners)


def record_status_change(
    session: AsyncSession,
    *,
    submission: ReadingSubmission,
    contract_id: int | None,
    old: SubmissionStatus | None,
    now: datetime,
) -> None:
    """Call after setting the submission's new status, in the transaction that stores it."""
    assert submission.id is not None
    event = ReadingStatusChanged(
        submission_id=submission.id,
        account_id=submission.account_id,
        contract_id=contract_id,
        old=old,
        new=submission.status,
        at=now,
        reason=submission.reason,
    )
    record_event(session, event, now=now)

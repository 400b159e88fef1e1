"""`reading.status_changed` events: written with the status change they report, addressed to the meter's owner."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import ReadingSubmission
from models.enums import SubmissionStatus
from services.outbox import account_channel, contract_channel, record_event

STATUS_CHANGED = "reading.status_changed"


def owner_channels(*, account_id: int | None, contract_id: int | None) -> list[str]:
    """Only the customers linked to the meter's account (or contract) listen on these."""
    channels = []
    if account_id is not None:
        channels.append(account_channel(account_id))
    if contract_id is not None:
        channels.append(contract_channel(contract_id))
    return channels


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
    record_event(
        session,
        type=STATUS_CHANGED,
        channels=owner_channels(account_id=submission.account_id, contract_id=contract_id),
        payload={
            "submission_id": submission.id,
            "account_id": submission.account_id,
            "contract_id": contract_id,
            "old": old.value if old is not None else None,
            "new": submission.status.value,
            "at": now.isoformat(),
            "reason": submission.reason,
        },
        now=now,
    )

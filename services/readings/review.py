"""Operators decide on submissions that went to review (consumption far above the usual)."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import select

from models import ReadingSubmission
from models.enums import SubmissionStatus
from services.errors import DomainError, ErrorCode
from services.identity.actors import is_staff_writer
from services.platform.runtime import Runtime
from services.readings.events import record_status_change
from services.readings.history import load_meter
from services.readings.processing import recheck_and_accept

MAX_REASON = 1000


class ReviewDecision(StrEnum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"


def submission_not_found() -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, "Показания не найдены", "input", "submissionId")


async def review_submission(
    runtime: Runtime, *, submission_id: int, reviewer_id: int, decision: ReviewDecision, reason: str | None
) -> ReadingSubmission:
    """ACCEPT: accepted readings are created (PROCESSED); REJECT: REJECTED with the reason the customer will read."""
    reason = (reason or "").strip() or None
    if decision is ReviewDecision.REJECT and reason is None:
        raise DomainError.single(
            ErrorCode.REASON_REQUIRED, "Укажите причину отказа: её увидит клиент", "input", "reason"
        )
    if reason is not None and len(reason) > MAX_REASON:
        raise DomainError.single(
            ErrorCode.INVALID_INPUT, f"Причина — не длиннее {MAX_REASON} символов", "input", "reason"
        )
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        if not await is_staff_writer(session, reviewer_id):
            raise submission_not_found()  # customers and analysts review nothing: to them the queue is not there
        found = (await session.exec(select(ReadingSubmission).where(ReadingSubmission.id == submission_id))).first()
        if found is None:
            raise submission_not_found()
        meter = await load_meter(session, found.meter_id, lock=True)
        assert meter is not None
        # The meter first, like every writer of readings; then the submission, against a second operator.
        submission = (
            await session.exec(select(ReadingSubmission).where(ReadingSubmission.id == submission_id).with_for_update())
        ).one()
        await session.refresh(submission)
        if submission.status is not SubmissionStatus.UNDER_REVIEW:
            raise DomainError.single(
                ErrorCode.ALREADY_REVIEWED, "Эти показания уже рассмотрены", "input", "submissionId"
            )
        if decision is ReviewDecision.ACCEPT:
            refused = await recheck_and_accept(session, submission=submission, meter=meter, now=now)
            if refused is not None:
                raise DomainError.single(
                    ErrorCode.BELOW_PREVIOUS, f"Принять нельзя: {refused[0].lower()}{refused[1:]}", "input", "decision"
                )
        submission.status = (
            SubmissionStatus.PROCESSED if decision is ReviewDecision.ACCEPT else SubmissionStatus.REJECTED
        )
        submission.reason = reason
        submission.status_changed_at = now
        submission.reviewed_by_id = reviewer_id
        session.add(submission)
        record_status_change(
            session, submission=submission, contract_id=meter.contract_id, old=SubmissionStatus.UNDER_REVIEW, now=now
        )
        await session.commit()
    return submission

"""`submitReadings`: check what was typed, store one submission with its values and its event, or nothing.

Submissions for one meter take turns (the meter row is locked), and each is checked against the previous value
including other customers' submissions not processed yet, so two sent at the same moment leave a consistent history.

Idempotency: a customer's key names one submission. Sending the same key again with the same meter and values
returns that submission (with the notice it was answered with) and creates nothing; the same key with another meter
or other values is refused with DUPLICATE_SUBMISSION (a client bug: one key must name one intended submission).

Corrections: a new submission replaces the customer's own submissions for the meter still waiting (RECEIVED or
UNDER_REVIEW): they become REJECTED «заменено новыми показаниями», and the new one is checked against the history
without them, so a typo that went to review can be corrected at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ReadingSubmission, SubmittedValue
from models.enums import SubmissionStatus, TariffZone
from services.errors import DomainError, ErrorCode, Problem
from services.objects.links import is_linked
from services.platform.database import run
from services.platform.runtime import Runtime
from services.readings.assessment import assess, meter_removed, unknown_meter
from services.readings.events import record_status_change
from services.readings.history import PENDING, MeterInfo, load_meter
from services.readings.validation import TypedValue, parse_value
from services.readings.window import choice_made

MAX_KEY_LENGTH = 64
REPLACED = "Заменено новыми показаниями"


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    submission: ReadingSubmission
    replayed: bool  # True: the key was seen before; this is the first submission, nothing was created now
    notice: str | None  # why the reading counts toward the next month, when it does


def _key_problem(key: str) -> Problem | None:
    if key.strip() and len(key) <= MAX_KEY_LENGTH:
        return None
    return Problem(
        ErrorCode.INVALID_INPUT,
        f"Ключ идемпотентности: от 1 до {MAX_KEY_LENGTH} символов",
        ("input", "idempotencyKey"),
    )


async def _earlier(session: AsyncSession, *, customer_id: int, key: str) -> ReadingSubmission | None:
    statement = select(ReadingSubmission).where(
        ReadingSubmission.customer_id == customer_id, ReadingSubmission.idempotency_key == key
    )
    return (await session.exec(statement)).first()


async def _same_request(
    session: AsyncSession, earlier: ReadingSubmission, *, meter_id: int, digits: int, typed: Sequence[TypedValue]
) -> bool:
    if earlier.meter_id != meter_id:
        return False
    stored = (await session.exec(select(SubmittedValue).where(SubmittedValue.submission_id == earlier.id))).all()
    wanted: dict[TariffZone, int] = {}
    for index, item in enumerate(typed):
        parsed = parse_value(item.text, digits=digits, index=index)
        if isinstance(parsed, Problem) or item.zone in wanted:
            return False
        wanted[item.zone] = parsed
    return wanted == {value.zone: value.value for value in stored}


async def _replace_waiting(session: AsyncSession, *, meter: MeterInfo, customer_id: int, now: datetime) -> None:
    """The customer's own waiting submissions for the meter become REJECTED, each with its event.

    SKIP LOCKED: a RECEIVED one the processor holds right now is left to it (the processor locks submissions before
    meters, this function the other way round, so waiting here could deadlock); if it is accepted, the new one is
    checked against it again when processed.
    """
    statement = (
        select(ReadingSubmission)
        .where(
            ReadingSubmission.meter_id == meter.id,
            ReadingSubmission.customer_id == customer_id,
            col(ReadingSubmission.status).in_(PENDING),
        )
        .with_for_update(skip_locked=True)
    )
    for waiting in (await session.exec(statement)).all():
        old = waiting.status
        waiting.status = SubmissionStatus.REJECTED
        waiting.reason = REPLACED
        waiting.status_changed_at = now
        session.add(waiting)
        record_status_change(session, submission=waiting, contract_id=meter.contract_id, old=old, now=now)


def _duplicate() -> DomainError:
    return DomainError.single(
        ErrorCode.DUPLICATE_SUBMISSION,
        "Эти показания уже отправлены с другими значениями. Обновите страницу и введите показания заново",
        "input",
        "idempotencyKey",
    )


async def submit_readings(
    runtime: Runtime, *, meter_id: int, customer_id: int, typed: Sequence[TypedValue], idempotency_key: str
) -> SubmissionResult:
    """Only a customer linked to the meter's account or contract may submit; for anyone else the meter is missing."""
    key_problem = _key_problem(idempotency_key)
    if key_problem is not None:
        raise DomainError([key_problem])
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        # Two requests with one key take turns, so the second finds the first instead of failing on the unique key.
        await run(
            session,
            sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"),
            {"name": f"reading-submission:{customer_id}:{idempotency_key}"},
        )
        meter = await load_meter(session, meter_id, lock=True)
        if meter is None or not await is_linked(
            session, customer_id=customer_id, account_id=meter.account_id, contract_id=meter.contract_id
        ):
            raise unknown_meter()
        earlier = await _earlier(session, customer_id=customer_id, key=idempotency_key)
        if earlier is not None:
            if not await _same_request(session, earlier, meter_id=meter_id, digits=meter.digits, typed=typed):
                raise _duplicate()
            choice = choice_made(period=earlier.period, submitted_at=earlier.submitted_at, settings=runtime.settings)
            return SubmissionResult(submission=earlier, replayed=True, notice=choice.notice)
        if meter.removed_on is not None:
            raise DomainError([meter_removed()])
        found = await assess(
            session, meter=meter, typed=typed, now=now, settings=runtime.settings, customer_id=customer_id
        )
        if found.problems:
            raise DomainError(found.problems)
        await _replace_waiting(session, meter=meter, customer_id=customer_id, now=now)
        submission = ReadingSubmission(
            meter_id=meter.id,
            account_id=meter.account_id,
            customer_id=customer_id,
            idempotency_key=idempotency_key,
            status=SubmissionStatus.UNDER_REVIEW if found.review_reason else SubmissionStatus.RECEIVED,
            reason=found.review_reason,
            period=found.choice.period,
            submitted_at=now,
            status_changed_at=now,
        )
        session.add(submission)
        await session.flush()
        assert submission.id is not None
        for check in sorted(found.checks, key=lambda check: meter.zones.index(check.zone)):
            assert check.value is not None
            session.add(
                SubmittedValue(
                    submission_id=submission.id,
                    zone=check.zone,
                    value=check.value,
                    # The first reading of a meter has nothing to count from.
                    consumption=check.consumption or 0,
                )
            )
        record_status_change(session, submission=submission, contract_id=meter.contract_id, old=None, now=now)
        await session.commit()
    return SubmissionResult(submission=submission, replayed=False, notice=found.choice.notice)

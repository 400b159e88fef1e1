"""The processor: RECEIVED submissions become accepted readings (PROCESSED) or are REJECTED with a reason.

Several processors may run at once (in each server process and in `server.py worker`): each claims a batch with
`FOR UPDATE SKIP LOCKED`, so no submission is processed twice. A status change, its readings and its event commit
together.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Reading, ReadingSubmission, SubmittedValue
from models.enums import ReadingSource, SubmissionStatus, TariffZone
from services.platform.listener import PostgresListener, shared_listener
from services.platform.runtime import Runtime
from services.readings.events import record_status_change
from services.readings.history import MeterInfo, last_accepted, load_meter
from services.readings.validation import ZONE_NAMES, consumption_since
from services.readings.window import local_date

BATCH = 50
# A new submission NOTIFYs this channel on commit (migration jobs_0001): the processor sleeps until then.
SUBMITTED_CHANNEL = "reading_submission"


async def recheck_and_accept(
    session: AsyncSession, *, submission: ReadingSubmission, meter: MeterInfo, now: datetime
) -> str | None:
    """Create the accepted readings of `submission`; or, when it no longer fits the history, the reason it does not.

    Since it was sent, another source (a control inspection, the utility provider) may have brought a newer
    reading; a value below that one cannot be accepted. The stored consumption is counted again from the last
    accepted value: when sent it may have been counted from another customer's submission that was then rejected.
    """
    if meter.removed_on is not None:
        return "Прибор учёта снят до обработки показаний; передайте показания нового счётчика"
    values = (await session.exec(select(SubmittedValue).where(SubmittedValue.submission_id == submission.id))).all()
    accepted = await last_accepted(session, meter.id)
    consumption: dict[TariffZone, int] = {}
    for value in values:
        before = accepted.get(value.zone)
        if before is None:
            consumption[value.zone] = 0  # the first reading of a meter has nothing to count from
            continue
        used = consumption_since(before.value, value.value, digits=meter.digits)
        if used is None:
            return (
                f"Показание {value.value} (зона «{ZONE_NAMES[value.zone]}») меньше принятого "
                f"{before.value} от {before.taken_on:%d.%m.%Y}. Проверьте показания и передайте их повторно"
            )
        consumption[value.zone] = used
    taken_on = local_date(submission.submitted_at)
    for value in values:
        value.consumption = consumption[value.zone]
        session.add(value)
        session.add(
            Reading(
                meter_id=meter.id,
                zone=value.zone,
                value=value.value,
                taken_on=taken_on,
                period=submission.period,
                source=ReadingSource.CUSTOMER,
                submission_id=submission.id,
                created_at=now,
            )
        )
    return None


async def process_received(runtime: Runtime, *, limit: int = BATCH) -> int:
    """Process up to `limit` RECEIVED submissions, oldest first; how many were processed."""
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        claim = (
            select(ReadingSubmission)
            .where(ReadingSubmission.status == SubmissionStatus.RECEIVED)
            .order_by(col(ReadingSubmission.submitted_at), col(ReadingSubmission.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        submissions = list((await session.exec(claim)).all())
        if not submissions:
            return 0
        # Meters are locked in id order, as every other writer of readings does, so that no two wait on each other.
        meters = {}
        for meter_id in sorted({submission.meter_id for submission in submissions}):
            meter = await load_meter(session, meter_id, lock=True)
            assert meter is not None  # a meter's submissions are deleted with it
            meters[meter_id] = meter
        for submission in submissions:
            meter = meters[submission.meter_id]
            reason = await recheck_and_accept(session, submission=submission, meter=meter, now=now)
            submission.status = SubmissionStatus.REJECTED if reason else SubmissionStatus.PROCESSED
            submission.reason = reason
            submission.status_changed_at = now
            session.add(submission)
            record_status_change(
                session, submission=submission, contract_id=meter.contract_id, old=SubmissionStatus.RECEIVED, now=now
            )
        await session.commit()
    return len(submissions)


def listen_for_submissions(runtime: Runtime) -> PostgresListener:
    """The processor's wake: a notification from each commit that added submissions."""
    return shared_listener(runtime, SUBMITTED_CHANNEL)


async def process_once(runtime: Runtime) -> int:
    """The background job's tick."""
    return await process_received(runtime)

"""The readings services check their actor themselves, inside their own transaction (not only the GraphQL layer):
who submits must be linked to the meter's account, who reviews must be an operator or an admin now."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlmodel import select

from models import Customer, Meter, ReadingSubmission
from models.enums import Role, SubmissionStatus, TariffZone
from services.errors import DomainError, ErrorCode
from services.platform.runtime import Runtime
from services.readings.review import ReviewDecision, review_submission
from services.readings.submission import submit_readings
from services.readings.validation import TypedValue
from tests.support.callers import CALLERS, make_callers
from tests.support.factories import create_account
from tests.support.readings import add_readings, row_counts

PEOPLE = [caller for caller in CALLERS if caller != "anonymous"]


async def _submit(runtime: Runtime, person: Customer, meter: Meter, value: str) -> object:
    assert person.id is not None
    assert meter.id is not None
    try:
        result = await submit_readings(
            runtime,
            meter_id=meter.id,
            customer_id=person.id,
            typed=[TypedValue(zone=TariffZone.SINGLE, text=value)],
            idempotency_key=uuid.uuid4().hex,
        )
    except DomainError as error:
        return error.problems[0].code
    return result.submission.status


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("stranger", ErrorCode.METER_NOT_FOUND),
        ("operator", ErrorCode.METER_NOT_FOUND),
        ("analyst", ErrorCode.METER_NOT_FOUND),
        ("admin", ErrorCode.METER_NOT_FOUND),
        ("owner", SubmissionStatus.RECEIVED),
    ],
)
async def test_only_a_customer_linked_to_the_meter_submits(runtime: Runtime, caller: str, expected: object) -> None:
    # given
    now = runtime.clock.now()
    people = (await make_callers(runtime)).people
    _, meter = await create_account(runtime.db, now=now, owner=people["owner"])
    await create_account(runtime.db, now=now, owner=people["stranger"])  # the stranger has a meter of their own
    await add_readings(runtime.db, meter, [(date(2026, 10, 20), 10_000)], now=now)
    before = await row_counts(runtime)

    # when
    outcome = await _submit(runtime, people[caller], meter, "10150")

    # then
    assert outcome == expected
    grew = (await row_counts(runtime))["reading_submission"] - before["reading_submission"]
    assert grew == (1 if caller == "owner" else 0)


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("stranger", ErrorCode.NOT_FOUND),
        ("analyst", ErrorCode.NOT_FOUND),
        ("owner", ErrorCode.NOT_FOUND),
        ("operator", SubmissionStatus.PROCESSED),
        ("admin", SubmissionStatus.PROCESSED),
    ],
)
async def test_only_an_operator_or_an_admin_reviews(runtime: Runtime, caller: str, expected: object) -> None:
    # given: a submission far above the usual, held for review
    now = runtime.clock.now()
    people = (await make_callers(runtime)).people
    _, meter = await create_account(runtime.db, now=now, owner=people["owner"])
    history = [(date(2026, month, 20), 10_000 + 200 * (month - 6)) for month in range(6, 11)]
    await add_readings(runtime.db, meter, history, now=now)
    assert await _submit(runtime, people["owner"], meter, "15800") == SubmissionStatus.UNDER_REVIEW
    before = await row_counts(runtime)
    submission_id = await _held_submission_id(runtime, meter)
    reviewer = people[caller]
    assert reviewer.id is not None

    # when
    try:
        reviewed = await review_submission(
            runtime, submission_id=submission_id, reviewer_id=reviewer.id, decision=ReviewDecision.ACCEPT, reason=None
        )
        outcome: object = reviewed.status
    except DomainError as error:
        outcome = error.problems[0].code

    # then
    assert outcome == expected
    grew = (await row_counts(runtime))["reading"] - before["reading"]
    assert grew == (1 if expected == SubmissionStatus.PROCESSED else 0)


async def test_a_reviewer_demoted_after_signing_in_reviews_nothing(runtime: Runtime) -> None:
    # given: an operator whose role was taken away (their token still says OPERATOR)
    now = runtime.clock.now()
    people = (await make_callers(runtime)).people
    _, meter = await create_account(runtime.db, now=now, owner=people["owner"])
    history = [(date(2026, month, 20), 10_000 + 200 * (month - 6)) for month in range(6, 11)]
    await add_readings(runtime.db, meter, history, now=now)
    assert await _submit(runtime, people["owner"], meter, "15800") == SubmissionStatus.UNDER_REVIEW
    submission_id = await _held_submission_id(runtime, meter)
    async with runtime.db.session() as session:
        operator = await session.get(Customer, people["operator"].id)
        assert operator is not None
        operator.role = Role.CUSTOMER
        session.add(operator)
        await session.commit()
    assert operator.id is not None

    # when
    with pytest.raises(DomainError) as refused:
        await review_submission(
            runtime, submission_id=submission_id, reviewer_id=operator.id, decision=ReviewDecision.ACCEPT, reason=None
        )

    # then
    assert refused.value.problems[0].code is ErrorCode.NOT_FOUND


async def _held_submission_id(runtime: Runtime, meter: Meter) -> int:
    async with runtime.db.session() as session:
        found = (
            await session.exec(
                select(ReadingSubmission).where(
                    ReadingSubmission.meter_id == meter.id,
                    ReadingSubmission.status == SubmissionStatus.UNDER_REVIEW,
                )
            )
        ).one()
    assert found.id is not None
    return found.id

"""Operators review submissions held for consumption far above the usual."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from models import Meter
from models.enums import Role
from services.platform.clock import FrozenClock
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.readings import REVIEW, SUBMIT, add_readings, error_codes, row_counts, submission_gid, submit_input

LIST = """
query($status: SubmissionStatus, $first: Int, $after: String) {
  readingSubmissions(status: $status, first: $first, after: $after) {
    edges { node { id status reason } } pageInfo { hasNextPage endCursor }
  }
}"""


@dataclass
class Held:
    meter: Meter
    submission_id: str
    operator: GraphQLClient


@pytest.fixture
async def held(runtime: Runtime, gql: GraphQLClient, clock: FrozenClock) -> Held:
    """A submission of 5,000 kWh on a meter that uses about 200 a month: UNDER_REVIEW."""
    owner = await create_customer(runtime.db, now=clock.now())
    operator = await create_customer(runtime.db, now=clock.now(), role=Role.OPERATOR)
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner)
    history = [(date(2026, month, 20), 10_000 + 200 * (month - 6)) for month in range(6, 11)]
    await add_readings(runtime.db, meter, history, now=clock.now())
    customer = gql.as_token(await token_for(runtime, owner))
    data = await customer.execute(SUBMIT, submit_input(meter, {"SINGLE": "15800"}))
    submission = data["submitReadings"]["submission"]
    assert submission["status"] == "UNDER_REVIEW"
    return Held(meter=meter, submission_id=submission["id"], operator=gql.as_token(await token_for(runtime, operator)))


def review_input(submission_id: str, decision: str, reason: str | None = None) -> dict[str, object]:
    return {"input": {"submissionId": submission_id, "decision": decision, "reason": reason}}


async def accepted_values(runtime: Runtime, meter: Meter) -> list[int]:
    async with runtime.db.session() as session:
        rows = await run(
            session,
            sa.text("SELECT value FROM reading WHERE meter_id = :id AND source = 'CUSTOMER' ORDER BY id"),
            {"id": meter.id},
        )
        return [row.value for row in rows]


async def test_the_review_queue_lists_held_submissions(held: Held) -> None:
    data = await held.operator.execute(LIST, {"status": "UNDER_REVIEW", "first": 100})

    ids = [edge["node"]["id"] for edge in data["readingSubmissions"]["edges"]]
    assert held.submission_id in ids
    assert {edge["node"]["status"] for edge in data["readingSubmissions"]["edges"]} == {"UNDER_REVIEW"}


async def test_the_list_pages_with_cursors(held: Held) -> None:
    first = await held.operator.execute(LIST, {"first": 2})
    second = await held.operator.execute(
        LIST, {"first": 2, "after": first["readingSubmissions"]["pageInfo"]["endCursor"]}
    )

    first_ids = [edge["node"]["id"] for edge in first["readingSubmissions"]["edges"]]
    second_ids = [edge["node"]["id"] for edge in second["readingSubmissions"]["edges"]]
    assert len(first_ids) == len(second_ids) == 2
    assert not set(first_ids) & set(second_ids)


async def test_accepting_creates_the_readings(held: Held, runtime: Runtime) -> None:
    data = await held.operator.execute(REVIEW, review_input(held.submission_id, "ACCEPT"))

    assert data["reviewReadingSubmission"]["submission"]["status"] == "PROCESSED"
    assert await accepted_values(runtime, held.meter) == [15800]


async def test_rejecting_keeps_the_reason_and_creates_nothing(held: Held, runtime: Runtime) -> None:
    data = await held.operator.execute(
        REVIEW, review_input(held.submission_id, "REJECT", "На фото счётчика 15080, а не 15800")
    )

    submission = data["reviewReadingSubmission"]["submission"]
    assert (submission["status"], submission["reason"]) == ("REJECTED", "На фото счётчика 15080, а не 15800")
    assert await accepted_values(runtime, held.meter) == []


async def test_rejecting_without_a_reason_is_refused(held: Held, runtime: Runtime) -> None:
    before = await row_counts(runtime)

    data = await held.operator.execute(REVIEW, review_input(held.submission_id, "REJECT", "  "))

    assert error_codes(data["reviewReadingSubmission"]) == ["REASON_REQUIRED"]
    assert await row_counts(runtime) == before


async def test_a_submission_is_reviewed_once(held: Held, runtime: Runtime) -> None:
    await held.operator.execute(REVIEW, review_input(held.submission_id, "ACCEPT"))
    before = await row_counts(runtime)

    data = await held.operator.execute(REVIEW, review_input(held.submission_id, "REJECT", "Передумал"))

    assert error_codes(data["reviewReadingSubmission"]) == ["ALREADY_REVIEWED"]
    assert await row_counts(runtime) == before


async def test_a_missing_submission_is_not_found(held: Held) -> None:
    data = await held.operator.execute(REVIEW, review_input(submission_gid(987_654_321), "ACCEPT"))

    assert error_codes(data["reviewReadingSubmission"]) == ["NOT_FOUND"]

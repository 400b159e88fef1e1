"""submitReadings: every rule by real bad input with nothing stored, wraparound, review, idempotency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from models import Customer, Meter
from services.platform.clock import FrozenClock
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.readings import (
    SUBMIT,
    add_readings,
    error_codes,
    link_family_member,
    row_counts,
    submit_input,
)


@dataclass
class Flat:
    owner: Customer
    meter: Meter
    gql: GraphQLClient


async def flat_with_meter(runtime: Runtime, gql: GraphQLClient, *, zone_count: int = 1) -> Flat:
    now = runtime.clock.now()
    owner = await create_customer(runtime.db, now=now)
    _, meter = await create_account(runtime.db, now=now, owner=owner, zone_count=zone_count)
    return Flat(owner=owner, meter=meter, gql=gql.as_token(await token_for(runtime, owner)))


async def submission_statuses(runtime: Runtime, meter: Meter) -> list[tuple[str, str | None]]:
    async with runtime.db.session() as session:
        rows = await run(
            session,
            sa.text("SELECT status, reason FROM reading_submission WHERE meter_id = :meter ORDER BY id"),
            {"meter": meter.id},
        )
        return [(row.status, row.reason) for row in rows]


async def status_changes(runtime: Runtime, meter: Meter) -> list[tuple[str | None, str]]:
    async with runtime.db.session() as session:
        rows = await run(
            session,
            sa.text(
                "SELECT e.payload FROM outbox_event AS e JOIN reading_submission AS s "
                "ON s.id = (e.payload->>'submission_id')::bigint "
                "WHERE e.type = 'reading.status_changed' AND s.meter_id = :meter ORDER BY e.id"
            ),
            {"meter": meter.id},
        )
        return [(row.payload["old"], row.payload["new"]) for row in rows]


@pytest.fixture
async def flat(runtime: Runtime, gql: GraphQLClient) -> Flat:
    flat = await flat_with_meter(runtime, gql)
    await add_readings(runtime.db, flat.meter, [(date(2026, 10, 20), 16360)], now=runtime.clock.now())
    return flat


async def test_a_reading_is_received_with_its_consumption(flat: Flat) -> None:
    data = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16549"}))

    payload = data["submitReadings"]
    assert payload["errors"] == []
    assert payload["submission"]["status"] == "RECEIVED"
    assert payload["submission"]["values"] == [{"zone": "SINGLE", "value": 16549, "consumption": 189}]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "NOT_AN_INTEGER"),
        ("16 549", "NOT_AN_INTEGER"),
        ("16549,5", "NOT_AN_INTEGER"),
        ("16549.0", "NOT_AN_INTEGER"),
        ("-16549", "NOT_AN_INTEGER"),
        ("+16549", "NOT_AN_INTEGER"),
        ("16549кВт", "NOT_AN_INTEGER"),
        ("١٦٥٤٩", "NOT_AN_INTEGER"),  # digits, but not the ones a register shows
        ("016549", "LEADING_ZEROS"),
        ("00", "LEADING_ZEROS"),
        ("1654900", "TOO_MANY_DIGITS"),
        ("1636", "BELOW_PREVIOUS"),
        ("16359", "BELOW_PREVIOUS"),
    ],
)
async def test_a_badly_typed_value_is_refused_and_nothing_is_stored(
    flat: Flat, runtime: Runtime, typed: str, code: str
) -> None:
    # given
    before = await row_counts(runtime)

    # when
    data = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": typed}))

    # then
    payload = data["submitReadings"]
    assert payload["submission"] is None
    assert error_codes(payload) == [code]
    assert payload["errors"][0]["field"] == ["input", "values", "0", "value"]
    assert await row_counts(runtime) == before


async def test_the_message_says_what_to_type(flat: Flat) -> None:
    data = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16549,5"}))

    assert "без первых нулей и цифр после запятой" in data["submitReadings"]["errors"][0]["message"]


@pytest.mark.parametrize(
    "values",
    [
        {"DAY": "100"},
        {"DAY": "100", "NIGHT": "50", "PEAK": "10"},
        {"SINGLE": "100"},
        {},
    ],
)
async def test_values_not_matching_the_meters_zones_are_refused(
    runtime: Runtime, gql: GraphQLClient, values: dict[str, str]
) -> None:
    # given
    flat = await flat_with_meter(runtime, gql, zone_count=2)
    before = await row_counts(runtime)

    # when
    data = await flat.gql.execute(SUBMIT, submit_input(flat.meter, values))

    # then
    assert error_codes(data["submitReadings"]) == ["ZONES_MISMATCH"]
    assert await row_counts(runtime) == before


async def test_a_zone_typed_twice_is_refused(runtime: Runtime, gql: GraphQLClient) -> None:
    flat = await flat_with_meter(runtime, gql, zone_count=2)
    variables = submit_input(flat.meter, {"DAY": "100"})
    variables["input"]["values"] = [{"zone": "DAY", "value": "100"}, {"zone": "DAY", "value": "101"}]

    data = await flat.gql.execute(SUBMIT, variables)

    assert error_codes(data["submitReadings"]) == ["ZONES_MISMATCH"]


async def test_each_zones_problem_is_reported(runtime: Runtime, gql: GraphQLClient) -> None:
    flat = await flat_with_meter(runtime, gql, zone_count=3)

    data = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"PEAK": "01", "SEMI_PEAK": "2.5", "NIGHT": "7"}))

    errors = data["submitReadings"]["errors"]
    assert [(error["code"], error["field"][2]) for error in errors] == [("LEADING_ZEROS", "0"), ("NOT_AN_INTEGER", "1")]


async def test_a_meter_that_does_not_exist_is_not_found(flat: Flat, runtime: Runtime) -> None:
    before = await row_counts(runtime)
    missing = Meter(id=987_654_321, serial="x", model="x", zone_count=1, digits=6, installed_on=date(2020, 1, 1))

    data = await flat.gql.execute(SUBMIT, submit_input(missing, {"SINGLE": "1"}))

    assert error_codes(data["submitReadings"]) == ["METER_NOT_FOUND"]
    assert await row_counts(runtime) == before


async def test_another_customers_meter_answers_like_a_missing_one(
    flat: Flat, runtime: Runtime, gql: GraphQLClient
) -> None:
    # given
    stranger = await flat_with_meter(runtime, gql)
    before = await row_counts(runtime)
    missing = Meter(id=987_654_321, serial="x", model="x", zone_count=1, digits=6, installed_on=date(2020, 1, 1))

    # when
    foreign = await stranger.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16549"}))
    absent = await stranger.gql.execute(SUBMIT, submit_input(missing, {"SINGLE": "16549"}))

    # then
    assert foreign["submitReadings"] == absent["submitReadings"]
    assert error_codes(foreign["submitReadings"]) == ["METER_NOT_FOUND"]
    assert await row_counts(runtime) == before


async def test_a_register_that_wrapped_counts_through_zero(runtime: Runtime, gql: GraphQLClient) -> None:
    # given: a six-digit register at 999990
    flat = await flat_with_meter(runtime, gql)
    await add_readings(runtime.db, flat.meter, [(date(2026, 10, 20), 999_990)], now=runtime.clock.now())

    # when
    data = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "15"}))

    # then
    payload = data["submitReadings"]
    assert payload["errors"] == []
    assert payload["submission"]["values"] == [{"zone": "SINGLE", "value": 15, "consumption": 25}]


async def test_a_dropped_digit_is_not_read_as_a_wrap(runtime: Runtime, gql: GraphQLClient) -> None:
    # given: a six-digit register at 600000, too little history for review
    flat = await flat_with_meter(runtime, gql)
    await add_readings(runtime.db, flat.meter, [(date(2026, 10, 20), 600_000)], now=runtime.clock.now())
    before = await row_counts(runtime)

    # when: 60000, one zero short
    data = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "60000"}))

    # then
    assert error_codes(data["submitReadings"]) == ["BELOW_PREVIOUS"]
    assert await row_counts(runtime) == before


async def test_consumption_far_above_the_usual_goes_to_review(runtime: Runtime, gql: GraphQLClient) -> None:
    # given: about 200 kWh a month for five months
    flat = await flat_with_meter(runtime, gql)
    history = [(date(2026, month, 20), 10_000 + 200 * (month - 6)) for month in range(6, 11)]
    await add_readings(runtime.db, flat.meter, history, now=runtime.clock.now())

    # when: 5,000 kWh in a month
    data = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "15800"}))

    # then: not refused, but held for an operator
    submission = data["submitReadings"]["submission"]
    assert data["submitReadings"]["errors"] == []
    assert submission["status"] == "UNDER_REVIEW"
    assert "оператор" in submission["reason"]


async def test_ordinary_consumption_with_history_is_received(runtime: Runtime, gql: GraphQLClient) -> None:
    flat = await flat_with_meter(runtime, gql)
    history = [(date(2026, month, 20), 10_000 + 200 * (month - 6)) for month in range(6, 11)]
    await add_readings(runtime.db, flat.meter, history, now=runtime.clock.now())

    data = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "11050"}))

    assert data["submitReadings"]["submission"]["status"] == "RECEIVED"


async def test_with_too_little_history_nothing_goes_to_review(runtime: Runtime, gql: GraphQLClient) -> None:
    flat = await flat_with_meter(runtime, gql)
    history = [(date(2026, 9, 20), 10_000), (date(2026, 10, 20), 10_200)]
    await add_readings(runtime.db, flat.meter, history, now=runtime.clock.now())

    data = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "90000"}))

    assert data["submitReadings"]["submission"]["status"] == "RECEIVED"


async def test_a_retry_with_the_same_key_returns_the_first_submission_and_creates_nothing(
    flat: Flat, runtime: Runtime
) -> None:
    # given
    variables = submit_input(flat.meter, {"SINGLE": "16549"}, key="tab-1:attempt")
    first = await flat.gql.execute(SUBMIT, variables)
    after_first = await row_counts(runtime)

    # when
    retried = await flat.gql.execute(SUBMIT, variables)

    # then
    assert retried["submitReadings"]["submission"] == first["submitReadings"]["submission"]
    assert await row_counts(runtime) == after_first


async def test_a_retry_answers_with_the_notice_of_the_first_submission(flat: Flat) -> None:
    # given: sent on the 26th, after the window of the 15th to the 25th
    variables = submit_input(flat.meter, {"SINGLE": "16549"}, key="tab-1:attempt")
    first = await flat.gql.execute(SUBMIT, variables)
    assert first["submitReadings"]["notice"] is not None

    # when
    retried = await flat.gql.execute(SUBMIT, variables)

    # then
    assert retried["submitReadings"]["notice"] == first["submitReadings"]["notice"]
    assert "декабрь 2026" in retried["submitReadings"]["notice"]


async def test_the_same_key_with_other_values_is_a_duplicate_submission(flat: Flat, runtime: Runtime) -> None:
    # given
    await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16549"}, key="k-1"))
    before = await row_counts(runtime)

    # when
    data = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16550"}, key="k-1"))

    # then
    assert error_codes(data["submitReadings"]) == ["DUPLICATE_SUBMISSION"]
    assert await row_counts(runtime) == before


async def test_another_customer_may_use_the_same_key(flat: Flat, runtime: Runtime, gql: GraphQLClient) -> None:
    other = await flat_with_meter(runtime, gql)
    await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16549"}, key="shared"))

    data = await other.gql.execute(SUBMIT, submit_input(other.meter, {"SINGLE": "10"}, key="shared"))

    assert data["submitReadings"]["submission"]["status"] == "RECEIVED"


async def test_a_family_members_submission_is_checked_against_one_not_yet_processed(
    flat: Flat, runtime: Runtime, gql: GraphQLClient
) -> None:
    # given: the owner sent 16549; their relative, linked to the same account, types next
    await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16549"}))
    relative = await create_customer(runtime.db, now=runtime.clock.now())
    await link_family_member(runtime.db, flat.meter, relative, now=runtime.clock.now())
    relative_gql = gql.as_token(await token_for(runtime, relative))
    before = await row_counts(runtime)

    # when
    lower = await relative_gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16400"}))
    higher = await relative_gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16560"}))

    # then
    assert error_codes(lower["submitReadings"]) == ["BELOW_PREVIOUS"]
    assert higher["submitReadings"]["submission"]["values"][0]["consumption"] == 11
    assert (await row_counts(runtime))["reading_submission"] == before["reading_submission"] + 1
    assert await submission_statuses(runtime, flat.meter) == [("RECEIVED", None), ("RECEIVED", None)]


async def test_a_correction_replaces_the_customers_submission_under_review(
    runtime: Runtime, gql: GraphQLClient
) -> None:
    # given: about 100 kWh a month, 16300 accepted; a typo 26400 went to review
    flat = await flat_with_meter(runtime, gql)
    history = [(date(2026, month, 20), 15_900 + 100 * (month - 6)) for month in range(6, 11)]
    await add_readings(runtime.db, flat.meter, history, now=runtime.clock.now())
    typo = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "26400"}))
    assert typo["submitReadings"]["submission"]["status"] == "UNDER_REVIEW"
    before = await row_counts(runtime)

    # when
    corrected = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16400"}))

    # then: counted from the accepted value; the typo is rejected as replaced, with its event
    payload = corrected["submitReadings"]
    assert payload["errors"] == []
    assert payload["submission"]["status"] == "RECEIVED"
    assert payload["submission"]["values"] == [{"zone": "SINGLE", "value": 16400, "consumption": 100}]
    assert await submission_statuses(runtime, flat.meter) == [
        ("REJECTED", "Заменено новыми показаниями"),
        ("RECEIVED", None),
    ]
    assert await status_changes(runtime, flat.meter) == [
        (None, "UNDER_REVIEW"),
        ("UNDER_REVIEW", "REJECTED"),
        (None, "RECEIVED"),
    ]
    after = await row_counts(runtime)
    assert after["outbox_event"] == before["outbox_event"] + 2


async def test_a_correction_replaces_the_customers_received_submission(flat: Flat, runtime: Runtime) -> None:
    await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16549"}))

    corrected = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16459"}))

    assert corrected["submitReadings"]["submission"]["values"][0]["consumption"] == 99
    assert await submission_statuses(runtime, flat.meter) == [
        ("REJECTED", "Заменено новыми показаниями"),
        ("RECEIVED", None),
    ]


async def test_a_refused_correction_leaves_the_waiting_submission_as_it_was(flat: Flat, runtime: Runtime) -> None:
    # given
    await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16549"}))
    before = await row_counts(runtime)

    # when: below the accepted 16360
    data = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "1654"}))

    # then
    assert error_codes(data["submitReadings"]) == ["BELOW_PREVIOUS"]
    assert await submission_statuses(runtime, flat.meter) == [("RECEIVED", None)]
    assert await row_counts(runtime) == before


async def test_a_submission_writes_its_event(flat: Flat, runtime: Runtime, clock: FrozenClock) -> None:
    before = await row_counts(runtime)

    await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16549"}))

    assert (await row_counts(runtime))["outbox_event"] == before["outbox_event"] + 1


async def test_an_empty_idempotency_key_is_refused(flat: Flat, runtime: Runtime) -> None:
    before = await row_counts(runtime)

    data = await flat.gql.execute(SUBMIT, submit_input(flat.meter, {"SINGLE": "16549"}, key=" "))

    assert error_codes(data["submitReadings"]) == ["INVALID_INPUT"]
    assert await row_counts(runtime) == before

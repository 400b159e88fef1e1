"""Who may use each readings field: anonymous, another customer, staff roles, the owner (and integrations)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from models import Meter, PersonalAccount
from services.events.relay import relay_once
from services.events.stream import latest_position
from services.integrations.service_tokens import create_service_token
from services.platform.runtime import Runtime
from tests.support.callers import make_callers, matrix
from tests.support.factories import create_account
from tests.support.graphql import GraphQLClient
from tests.support.objects import global_id
from tests.support.readings import (
    PREVIEW,
    REVIEW,
    STATUS_CHANGED,
    SUBMIT,
    add_readings,
    meter_gid,
    row_counts,
    submit_input,
    subscription_error,
)

LIST = "{ readingSubmissions(first: 5) { edges { node { id } } } }"
IMPORT = """
mutation($input: ImportReadingsInput!) { importReadings(input: $input) { created errors { code } } }"""


@dataclass
class World:
    account: PersonalAccount
    meter: Meter
    held_submission: str  # UNDER_REVIEW
    tokens: dict[str, str | None]


@pytest.fixture
async def world(runtime: Runtime, gql: GraphQLClient) -> World:
    now = runtime.clock.now()
    callers = await make_callers(runtime)
    people, tokens = callers.people, callers.tokens
    account, meter = await create_account(runtime.db, now=now, owner=people["owner"])
    await create_account(runtime.db, now=now, owner=people["stranger"])
    history = [(date(2026, month, 20), 10_000 + 200 * (month - 6)) for month in range(6, 11)]
    await add_readings(runtime.db, meter, history, now=now)
    held = await gql.as_token(tokens["owner"]).execute(SUBMIT, submit_input(meter, {"SINGLE": "15800"}))
    assert held["submitReadings"]["submission"]["status"] == "UNDER_REVIEW"
    return World(
        account=account, meter=meter, held_submission=held["submitReadings"]["submission"]["id"], tokens=tokens
    )


def outcome(body: dict[str, Any], field: str) -> str:
    """ "ok", the GraphQL error code, or the payload's first error code."""
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    errors = body["data"][field].get("errors") or []
    return str(errors[0]["code"]) if errors else "ok"


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "METER_NOT_FOUND", "ok", "ok", "ok", "ok"),
)
async def test_reading_preview(world: World, gql: GraphQLClient, caller: str, expected: str) -> None:
    variables = {"meterId": meter_gid(world.meter), "values": [{"zone": "SINGLE", "value": "15810"}]}

    body = await gql.as_token(world.tokens[caller]).post(PREVIEW, variables)

    assert outcome(body, "readingPreview") == expected


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "METER_NOT_FOUND", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "ok"),
)
async def test_submit_readings(world: World, gql: GraphQLClient, runtime: Runtime, caller: str, expected: str) -> None:
    before = await row_counts(runtime)

    body = await gql.as_token(world.tokens[caller]).post(SUBMIT, submit_input(world.meter, {"SINGLE": "15810"}))

    assert outcome(body, "submitReadings") == expected
    grew = (await row_counts(runtime))["reading_submission"] - before["reading_submission"]
    assert grew == (1 if expected == "ok" else 0)


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "FORBIDDEN", "ok", "ok", "ok", "FORBIDDEN"),
)
async def test_reading_submissions(world: World, gql: GraphQLClient, caller: str, expected: str) -> None:
    body = await gql.as_token(world.tokens[caller]).post(LIST)

    assert outcome(body, "readingSubmissions") == expected


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "FORBIDDEN", "ok", "FORBIDDEN", "ok", "FORBIDDEN"),
)
async def test_review_reading_submission(
    world: World, gql: GraphQLClient, runtime: Runtime, caller: str, expected: str
) -> None:
    before = await row_counts(runtime)
    variables = {"input": {"submissionId": world.held_submission, "decision": "ACCEPT"}}

    body = await gql.as_token(world.tokens[caller]).post(REVIEW, variables)

    assert outcome(body, "reviewReadingSubmission") == expected
    grew = (await row_counts(runtime))["reading"] - before["reading"]
    assert grew == (1 if expected == "ok" else 0)


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        *matrix("UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"),
        ("service without readings:write", "FORBIDDEN"),
        ("service with readings:write", "ok"),
    ],
)
async def test_import_readings(world: World, gql: GraphQLClient, runtime: Runtime, caller: str, expected: str) -> None:
    # given
    if caller.startswith("service"):
        scopes = ["readings:write"] if caller.endswith("with readings:write") else ["tech_connections:write"]
        token: str | None = await create_service_token(runtime, name="ИСУ", scopes=scopes)
    else:
        token = world.tokens[caller]
    before = await row_counts(runtime)
    item = {
        "externalId": "isu-1",
        "meterSerial": world.meter.serial,
        "zone": "SINGLE",
        "value": 11000,
        "takenOn": "2026-11-25",
    }

    # when
    body = await gql.as_token(token).post(IMPORT, {"input": {"source": "ISU", "batchId": "b-1", "items": [item]}})

    # then
    assert outcome(body, "importReadings") == expected
    grew = (await row_counts(runtime))["reading"] - before["reading"]
    assert grew == (1 if expected == "ok" else 0)


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "NOT_FOUND", "ok", "ok", "ok", "ok"),
)
async def test_reading_status_changed_for_an_account(
    world: World, gql: GraphQLClient, runtime: Runtime, caller: str, expected: str
) -> None:
    # given
    await relay_once(runtime)
    variables = {
        "accountId": global_id("PersonalAccount", world.account.id),
        "after": str(await latest_position(runtime.db)),
    }

    async with gql.websocket(token=world.tokens[caller]) as socket:
        await socket.subscribe(STATUS_CHANGED, variables)
        if expected != "ok":
            # then
            assert (await subscription_error(socket))["code"] == expected
            return

        # when
        await gql.as_token(world.tokens["owner"]).execute(SUBMIT, submit_input(world.meter, {"SINGLE": "10900"}))
        await relay_once(runtime)

        # then: the owner's submission under review is replaced by the new one
        replaced = (await socket.next_data())["readingStatusChanged"]
        received = (await socket.next_data())["readingStatusChanged"]
        assert (replaced["oldStatus"], replaced["newStatus"]) == ("UNDER_REVIEW", "REJECTED")
        assert (received["oldStatus"], received["newStatus"]) == (None, "RECEIVED")

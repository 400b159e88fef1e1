"""Text PostgreSQL cannot store (NUL, lone surrogates) is BAD_USER_INPUT naming the field, checked in one place
before anything runs, so nothing is stored (issue 13: asyncpg refused 0x00 and the client got a masked internal
error)."""

from __future__ import annotations

from typing import Any

import pytest

from services.platform.runtime import Runtime
from tests.support.appeals import CREATE_APPEAL, POST_MESSAGE, appeal_gid, conversation_people, open_appeal
from tests.support.graphql import GraphQLClient
from tests.support.identity import count_rows


def refusal(body: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(error["extensions"]["code"], error["extensions"]["field"]) for error in body["errors"]]


async def test_a_nul_in_an_appeal_text_is_refused_naming_the_field_and_nothing_is_stored(
    runtime: Runtime, gql: GraphQLClient
) -> None:
    # given
    people = await conversation_people(runtime)
    appeals_before = await count_rows(runtime, "appeal")

    # when
    body = await gql.as_token(people.customer_token).post(
        CREATE_APPEAL, {"input": {"target": {"otherNumber": "12345"}, "topic": "OTHER", "text": "a\u0000b"}}
    )

    # then
    assert refusal(body) == [("BAD_USER_INPUT", ["input", "text"])]
    assert body["data"] is None
    assert await count_rows(runtime, "appeal") == appeals_before


async def test_a_nul_written_in_the_document_is_refused_too(runtime: Runtime, gql: GraphQLClient) -> None:
    people = await conversation_people(runtime)
    posted = await open_appeal(runtime, people.customer, people.account)
    messages_before = await count_rows(runtime, "appeal_message")

    body = await gql.as_token(people.customer_token).post(
        'mutation($id: ID!) { postAppealMessage(input: {appealId: $id, text: "a\\u0000b"}) { errors { code } } }',
        {"id": appeal_gid(posted.appeal.id)},
    )

    assert refusal(body) == [("BAD_USER_INPUT", ["input", "text"])]
    assert await count_rows(runtime, "appeal_message") == messages_before


@pytest.mark.parametrize(
    ("document", "variables", "field"),
    [
        (POST_MESSAGE, {"input": {"appealId": "QXBwZWFsOjE=", "text": "ok", "x": ["fine", "b\u0000"]}}, None),
        (
            "mutation($input: ImportReadingsInput!) { importReadings(input: $input) { errors { code } } }",
            {"input": {"source": "ISU", "batchId": "batch\u0000", "items": []}},
            ["input", "batchId"],
        ),
        (
            "mutation($input: SubmitReadingInput!) { submitReading(input: $input) { errors { code } } }",
            {"input": {"meterId": "TWV0ZXI6MQ==", "values": [], "idempotencyKey": "k\u0000"}},
            ["input", "idempotencyKey"],
        ),
        (
            "mutation($input: UpsertTechConnectionsInput!) { upsertTechConnections(input: $input) { created } }",
            {"input": {"gridCompanyInn": "7700000000", "items": [{"address": "ул. Ленина\u0000"}]}},
            ["input", "items", "0", "address"],
        ),
    ],
)
async def test_every_text_input_is_checked_whatever_its_depth_or_mutation(
    runtime: Runtime, gql: GraphQLClient, document: str, variables: dict[str, Any], field: list[str] | None
) -> None:
    people = await conversation_people(runtime)

    body = await gql.as_token(people.customer_token).post(document, variables)

    expected = field or ["input", "x", "1"]
    assert ("BAD_USER_INPUT", expected) in refusal(body)
    assert body["data"] is None


async def test_a_lone_surrogate_in_the_document_is_refused_before_anything_runs(
    runtime: Runtime, gql: GraphQLClient
) -> None:
    # JSON cannot carry one (a 400, see test_http_errors); a GraphQL string escape can try
    people = await conversation_people(runtime)
    messages_before = await count_rows(runtime, "appeal_message")

    body = await gql.as_token(people.customer_token).post(
        'mutation { postAppealMessage(input: {appealId: "QXBwZWFsOjE=", text: "a \\ud800"}) { errors { code } } }'
    )

    assert [error["extensions"]["code"] for error in body["errors"]] in (["GRAPHQL_PARSE_FAILED"], ["BAD_USER_INPUT"])
    assert await count_rows(runtime, "appeal_message") == messages_before

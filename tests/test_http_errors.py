"""Every error is JSON with `extensions.code` (issue 13): odd bodies, encodings, batches, GET mutations, bad ids,
enums, scalars, fragments, depth, several operations and forged cursors."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from models.enums import Role
from schema.core.http_errors import MAX_BATCH_OPERATIONS
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.graphql import answer as answer_of
from tests.support.identity import token_for

JSON = {"Content-Type": "application/json"}


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


@pytest.mark.parametrize("body", [b"42", b"null", b'"x"', b"true", b"[]", b"{", b'{"query": "\\ud800"}', b"\xff"])
async def test_a_body_that_is_not_a_json_object_is_a_coded_400(app_client: httpx.AsyncClient, body: bytes) -> None:
    response = await app_client.post("/graphql", content=body, headers=JSON)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["errors"][0]["extensions"]["code"] in {
        "INVALID_REQUEST",
        "INVALID_JSON",
        "BATCH_NOT_SUPPORTED",
    }
    assert response.json()["errors"][0]["message"]


async def test_a_batch_over_the_cap_is_refused_with_a_code(app_client: httpx.AsyncClient) -> None:
    # Batches are answered since issue 14 (Apollo's batch link), up to MAX_BATCH_OPERATIONS; over it, a coded 400.
    response = await app_client.post("/graphql", json=[{"query": "{ __typename }"}] * (MAX_BATCH_OPERATIONS + 1))

    assert (response.status_code, codes(response.json())) == (400, ["BATCH_TOO_LARGE"])


async def test_a_mutation_over_get_is_a_coded_405(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get(
        "/graphql",
        params={"query": 'mutation { signIn(input: {phone: "+79990000000", password: "x"}) { errors { code } } }'},
        headers={"Accept": "application/json"},
    )

    assert (response.status_code, codes(response.json())) == (405, ["METHOD_NOT_ALLOWED"])
    assert response.headers["allow"] == "POST"


async def test_an_unsupported_content_type_is_coded(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post(
        "/graphql",
        content=b"{ __typename }",
        headers={"Content-Type": "application/xml", "Apollo-Require-Preflight": "1"},
    )

    assert response.status_code in (400, 415)
    assert codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"]


async def test_a_file_with_a_5000_character_name_is_a_coded_error(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post(
        "/graphql",
        data={
            "operations": '{"query": "mutation($f: Upload!) { __typename }", "variables": {"f": null}}',
            "map": '{"0": ["variables.f"]}',
        },
        files={"0": ("a" * 5000 + ".pdf", b"%PDF-1.4", "application/pdf")},
        headers={"Apollo-Require-Preflight": "true"},
    )

    assert response.headers["content-type"] == "application/json", (response.status_code, response.text[:300])
    assert all(error["extensions"]["code"] for error in response.json()["errors"])


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ __typename ", {}, "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", {}, "GRAPHQL_VALIDATION_FAILED"),
        ("{ ...on NoSuchType { id } }", {}, "GRAPHQL_VALIDATION_FAILED"),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": 5}, "BAD_USER_INPUT"),
        (
            "query($t: AppealTopic!) { __typename }",
            {"t": "NO_SUCH_TOPIC"},
            "BAD_USER_INPUT",
        ),
        (
            "mutation($i: AppealTargetInput!) { __typename }",
            {"i": {"objectId": "1", "otherNumber": "2"}},
            "BAD_USER_INPUT",
        ),
        ("query($k: Kopecks!) { __typename }", {"k": 100.5}, "BAD_USER_INPUT"),
        ("query($k: Kopecks!) { __typename }", {"k": "100"}, "BAD_USER_INPUT"),
        ("{ a:__typename " + "b:__typename " * 0 + "}", {}, None),
    ],
)
async def test_graphql_errors_carry_a_code(
    gql: GraphQLClient, query: str, variables: dict[str, Any], code: str | None
) -> None:
    body = await gql.post(query, variables)

    if code is None:
        assert "errors" not in body
    else:
        assert codes(body) == [code] * len(body["errors"])


async def test_a_query_deeper_than_the_limit_is_coded(gql: GraphQLClient) -> None:
    deep = "{ me { personalAccounts { " + "meters { account { " * 6 + "id" + " } }" * 6 + " } } }"

    body = await gql.post(deep)

    assert set(codes(body)) == {"QUERY_TOO_DEEP"}


async def test_a_document_with_two_operations_and_no_name_is_refused(gql: GraphQLClient) -> None:
    body = await gql.post("query A { __typename } query B { me { id } }")

    assert codes(body) == ["OPERATION_RESOLUTION_FAILURE"]
    assert body.get("data") is None


async def test_a_document_with_two_operations_runs_the_named_one(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post(
        "/graphql", json={"query": "query A { a: __typename } query B { b: __typename }", "operationName": "B"}
    )

    assert answer_of(response.json()) == {"data": {"b": "Query"}}


async def test_a_forged_cursor_is_refused(runtime: Runtime, gql: GraphQLClient) -> None:
    operator = await create_customer(runtime.db, now=runtime.clock.now(), role=Role.OPERATOR)
    staff = gql.as_token(await token_for(runtime, operator))
    forged = base64.b64encode(b"[1,2,3]").decode()
    assert forged == "WzEsMiwzXQ=="

    body = await staff.post(
        "query($after: String) { appealInbox(first: 5, after: $after) { edges { cursor } } }", {"after": forged}
    )
    first_page = await staff.post("{ appealInbox(first: 1) { edges { cursor } pageInfo { endCursor } } }")
    real = first_page["data"]["appealInbox"]["pageInfo"]["endCursor"]
    next_page = await staff.post(
        "query($after: String) { appealInbox(first: 5, after: $after) { edges { cursor } } }", {"after": real}
    )

    assert codes(body) == ["BAD_USER_INPUT"]
    assert "errors" not in next_page

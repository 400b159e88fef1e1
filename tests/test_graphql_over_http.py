"""GraphQL over HTTP and Apollo's client protocols (issue 14), through the real app: the response media type chosen
from Accept with the spec's status codes, automatic persisted queries (in-process and in Redis), the trusted
manifest with `PERSISTED_DOCUMENTS=required`, and batches within and over the cap."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from models.enums import Role
from schema.core.guards import MAX_ALIASES
from schema.core.http_errors import MAX_BATCH_OPERATIONS
from services.integrations.service_tokens import create_service_token
from services.platform.runtime import Runtime
from services.platform.settings import Settings
from tests.support.factories import create_customer
from tests.support.graphql import answer
from tests.support.identity import token_for

RESPONSE_MEDIA = "application/graphql-response+json"
JSON_MEDIA = "application/json"


def json_of(response: httpx.Response) -> Any:
    """The response's JSON without the cost report every executed answer carries (tests/test_cost_budget.py)."""
    value = response.json()
    return [answer(item) for item in value] if isinstance(value, list) else answer(value)


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def persisted(document_hash: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": document_hash}}


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or ()]


def media_of(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def unique_document() -> str:
    """A document no other test (nor an earlier run against the same Redis) has stored."""
    return "{ a" + uuid.uuid4().hex[:12] + ": __typename }"


@asynccontextmanager
async def client_of(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    from server import create_app

    app = create_app(runtime, run_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


# --- the response media type and status codes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, JSON_MEDIA),
        ("*/*", JSON_MEDIA),
        ("application/json", JSON_MEDIA),
        (RESPONSE_MEDIA, RESPONSE_MEDIA),
        (f"{RESPONSE_MEDIA}; charset=utf-8", RESPONSE_MEDIA),
        (f"{RESPONSE_MEDIA}, application/json;q=0.9", RESPONSE_MEDIA),  # what Apollo Client and graphql-http send
        (f"application/json, {RESPONSE_MEDIA}", JSON_MEDIA),  # equal quality: the first listed
        (f"{RESPONSE_MEDIA};q=0.5, application/json", JSON_MEDIA),
        (f"{RESPONSE_MEDIA};q=0, application/json", JSON_MEDIA),
    ],
)
async def test_the_response_media_type_follows_accept(
    app_client: httpx.AsyncClient, accept: str | None, media: str
) -> None:
    headers = {} if accept is None else {"Accept": accept}

    response = await app_client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)

    assert (response.status_code, media_of(response)) == (200, media)
    assert json_of(response) == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ __typename ", None, "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": {"x": 1}}, "BAD_USER_INPUT"),  # variable coercion
        ("query($id: ID!) { node(id: $id) { id } }", {}, "BAD_USER_INPUT"),  # a required variable missing
        # a subscription has no event to answer over HTTP (it answered an internal error): the websocket's
        ("subscription Live { appealMessageAdded { eventId } }", None, "SUBSCRIPTION_OVER_HTTP"),
    ],
)
async def test_a_request_error_is_a_400_without_data_in_graphql_response_json(
    app_client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None, code: str
) -> None:
    body = {"query": query, "variables": variables}

    spec = await app_client.post("/graphql", json=body, headers={"Accept": RESPONSE_MEDIA})
    legacy = await app_client.post("/graphql", json=body, headers={"Accept": JSON_MEDIA})

    assert (spec.status_code, media_of(spec)) == (400, RESPONSE_MEDIA)
    assert "data" not in json_of(spec)
    assert codes(json_of(spec)) == [code]
    # application/json keeps what its clients have always had: 200 and `data: null`
    assert (legacy.status_code, media_of(legacy)) == (200, JSON_MEDIA)
    assert json_of(legacy)["data"] is None
    assert codes(json_of(legacy)) == [code]


async def test_a_document_with_a_subscription_runs_its_query_over_http(app_client: httpx.AsyncClient) -> None:
    document = "query Name { __typename } subscription Live { appealMessageAdded { eventId } }"

    query = await app_client.post("/graphql", json={"query": document, "operationName": "Name"})
    live = await app_client.post("/graphql", json={"query": document, "operationName": "Live"})

    assert query.json()["data"] == {"__typename": "Query"}
    assert "errors" not in query.json()
    assert codes(live.json()) == ["SUBSCRIPTION_OVER_HTTP"]


async def test_an_executed_operation_with_a_field_error_is_a_200_with_data(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post(
        "/graphql", json={"query": "{ __typename me { id } }"}, headers={"Accept": RESPONSE_MEDIA}
    )

    assert (response.status_code, media_of(response)) == (200, RESPONSE_MEDIA)
    assert "data" in json_of(response)
    assert codes(json_of(response)) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(("body", "status", "code"), [(b"{", 400, "INVALID_JSON"), (b"42", 400, "INVALID_REQUEST")])
async def test_http_refusals_are_written_in_the_accepted_media_type(
    app_client: httpx.AsyncClient, body: bytes, status: int, code: str
) -> None:
    response = await app_client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json", "Accept": RESPONSE_MEDIA}
    )

    assert (response.status_code, media_of(response)) == (status, RESPONSE_MEDIA)
    assert "data" not in json_of(response)
    assert codes(json_of(response)) == [code]


async def test_a_get_query_answers_in_graphql_response_json(app_client: httpx.AsyncClient) -> None:
    ok = await app_client.get("/graphql", params={"query": "{ __typename }"}, headers={"Accept": RESPONSE_MEDIA})
    bad = await app_client.get("/graphql", params={"query": "{ nope }"}, headers={"Accept": RESPONSE_MEDIA})

    assert (ok.status_code, media_of(ok), json_of(ok)) == (200, RESPONSE_MEDIA, {"data": {"__typename": "Query"}})
    assert (bad.status_code, media_of(bad), codes(json_of(bad))) == (400, RESPONSE_MEDIA, ["GRAPHQL_VALIDATION_FAILED"])


# --- automatic persisted queries ---------------------------------------------------------------------------------


async def apq_round_trip(first: httpx.AsyncClient, second: httpx.AsyncClient) -> None:
    """Apollo's persisted-query link: the hash alone; on a miss, hash and document; then the hash alone again."""
    document = unique_document()
    digest = sha(document)
    alias = document.split()[1].rstrip(":")

    miss = await first.post("/graphql", json={"extensions": persisted(digest)})
    registered = await first.post("/graphql", json={"query": document, "extensions": persisted(digest)})
    hit = await second.post("/graphql", json={"extensions": persisted(digest), "variables": {}})
    over_get = await second.get(
        "/graphql", params={"extensions": f'{{"persistedQuery":{{"version":1,"sha256Hash":"{digest}"}}}}'}
    )

    assert (miss.status_code, codes(json_of(miss))) == (200, ["PERSISTED_QUERY_NOT_FOUND"])
    assert json_of(registered) == {"data": {alias: "Query"}}
    assert json_of(hit) == {"data": {alias: "Query"}}
    assert (over_get.status_code, json_of(over_get)) == (200, {"data": {alias: "Query"}})


async def test_apq_hash_then_document_round_trip_in_process(app_client: httpx.AsyncClient) -> None:
    await apq_round_trip(app_client, app_client)


async def test_apq_documents_are_shared_through_redis_between_workers(runtime: Runtime, redis_url: str) -> None:
    """Two apps (two workers) on one Redis: a document registered with one is found by the other."""
    redis = Redis.from_url(redis_url)
    try:
        runtime.redis = redis
        async with client_of(runtime) as first, client_of(runtime) as second:
            await apq_round_trip(first, second)
    finally:
        await redis.aclose()


async def test_a_hash_that_does_not_match_its_document_is_refused_and_not_stored(app_client: httpx.AsyncClient) -> None:
    document = unique_document()
    wrong = sha(document + " ")

    refused = await app_client.post("/graphql", json={"query": document, "extensions": persisted(wrong)})
    later = await app_client.post("/graphql", json={"extensions": persisted(wrong)})

    assert codes(json_of(refused)) == ["PERSISTED_QUERY_HASH_MISMATCH"]
    assert json_of(refused)["data"] is None
    assert codes(json_of(later)) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.parametrize(
    "extension",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
        {"persistedQuery": {"version": 1, "sha256Hash": "xyz"}},
        {"persistedQuery": {"version": 1}},
        {"persistedQuery": "abc"},
    ],
)
async def test_a_malformed_persisted_query_is_coded(app_client: httpx.AsyncClient, extension: dict[str, Any]) -> None:
    response = await app_client.post("/graphql", json={"extensions": extension}, headers={"Accept": RESPONSE_MEDIA})

    assert (response.status_code, codes(json_of(response))) == (400, ["PERSISTED_QUERY_INVALID"])


# --- the trusted manifest and PERSISTED_DOCUMENTS=required -------------------------------------------------------

TRUSTED = "query Trusted { __typename }"


def required_settings(tmp_path: Path, manifest: Path) -> Settings:
    return Settings(
        database_url="postgresql://unused",
        redis_url=None,
        data_dir=tmp_path / "data",
        persisted_documents="required",  # type: ignore[arg-type]
        persisted_documents_manifest=manifest,
    )


async def test_persisted_only_mode_runs_trusted_documents_for_customers_and_any_for_staff(
    runtime: Runtime, tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(f'{{"{sha(TRUSTED)}": "{TRUSTED}"}}')
    runtime.settings = required_settings(tmp_path, manifest)
    now = runtime.clock.now()
    customer = await token_for(runtime, await create_customer(runtime.db, now=now))
    operator = await token_for(runtime, await create_customer(runtime.db, now=now, role=Role.OPERATOR))
    analyst = await token_for(runtime, await create_customer(runtime.db, now=now, role=Role.ANALYST))
    integration = await create_service_token(runtime, name="ИСУ", scopes=["readings:write"])
    untrusted = unique_document()
    alias = untrusted.split()[1].rstrip(":")

    async with client_of(runtime) as client:

        async def post(body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = await client.post("/graphql", json=body, headers=headers)
            result: dict[str, Any] = json_of(response)
            return result

        by_hash = await post({"extensions": persisted(sha(TRUSTED))})
        by_text = await post({"query": TRUSTED}, customer)
        anonymous_text = await post({"query": untrusted})
        customer_text = await post({"query": untrusted}, customer)
        customer_registers = await post({"query": untrusted, "extensions": persisted(sha(untrusted))}, customer)
        operator_text = await post({"query": untrusted}, operator)
        analyst_registers = await post({"query": untrusted, "extensions": persisted(sha(untrusted))}, analyst)
        customer_uses_staff_hash = await post({"extensions": persisted(sha(untrusted))}, customer)
        analyst_hash = await post({"extensions": persisted(sha(untrusted))}, analyst)
        integration_text = await post({"query": untrusted}, integration)

    assert by_hash == {"data": {"__typename": "Query"}}
    assert by_text == {"data": {"__typename": "Query"}}
    for refused in (anonymous_text, customer_text, customer_registers, customer_uses_staff_hash):
        assert codes(refused) == ["PERSISTED_DOCUMENT_REQUIRED"]
        assert refused["data"] is None
    assert operator_text == {"data": {alias: "Query"}}
    assert analyst_registers == {"data": {alias: "Query"}}
    assert analyst_hash == {"data": {alias: "Query"}}
    assert integration_text == {"data": {alias: "Query"}}


async def test_optional_mode_runs_any_document(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post("/graphql", json={"query": "{ __typename }"})

    assert json_of(response) == {"data": {"__typename": "Query"}}


async def test_apollo_manifest_format_is_read_and_a_forged_manifest_refuses_to_start(
    runtime: Runtime, tmp_path: Path
) -> None:
    apollo = tmp_path / "persisted-query-manifest.json"
    apollo.write_text(
        '{"format": "apollo-persisted-query-manifest", "version": 1, "operations": '
        f'[{{"id": "{sha(TRUSTED)}", "name": "Trusted", "type": "query", "body": "{TRUSTED}"}}]}}'
    )
    forged = tmp_path / "forged.json"
    forged.write_text(f'{{"{sha("{ me { id } }")}": "{TRUSTED}"}}')

    runtime.settings = required_settings(tmp_path, apollo)
    async with client_of(runtime) as client:
        answered = json_of(await client.post("/graphql", json={"extensions": persisted(sha(TRUSTED))}))
    runtime.settings = required_settings(tmp_path, forged)

    assert answered == {"data": {"__typename": "Query"}}
    with pytest.raises(ValueError, match="does not hash to it"):
        async with client_of(runtime):
            pass


# --- batches ----------------------------------------------------------------------------------------------------


async def test_a_batch_is_answered_in_order(app_client: httpx.AsyncClient) -> None:
    batch = [
        {"query": "{ first: __typename }"},
        {"query": "{ nope }"},
        {"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": "bm90aGluZw=="}},
        {"query": "{ last: __typename }"},
    ]

    response = await app_client.post("/graphql", json=batch)

    assert (response.status_code, media_of(response)) == (200, JSON_MEDIA)
    first, invalid, node, last = json_of(response)
    assert first == {"data": {"first": "Query"}}
    assert codes(invalid) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "node" in node["data"]
    assert last == {"data": {"last": "Query"}}


async def test_a_batch_at_the_cap_is_answered_and_one_over_is_a_coded_400(app_client: httpx.AsyncClient) -> None:
    at_cap = [{"query": f"{{ n{n}: __typename }}"} for n in range(MAX_BATCH_OPERATIONS)]

    answered = await app_client.post("/graphql", json=at_cap)
    over = await app_client.post("/graphql", json=[*at_cap, {"query": "{ __typename }"}])

    assert json_of(answered) == [{"data": {f"n{n}": "Query"}} for n in range(MAX_BATCH_OPERATIONS)]
    assert (over.status_code, media_of(over), codes(json_of(over))) == (400, JSON_MEDIA, ["BATCH_TOO_LARGE"])


@pytest.mark.parametrize("body", [[], [1], [{"query": "{ __typename }"}, "x"]])
async def test_an_empty_or_malformed_batch_is_a_coded_400(app_client: httpx.AsyncClient, body: list[Any]) -> None:
    response = await app_client.post("/graphql", json=body)

    assert (response.status_code, codes(json_of(response))) == (400, ["INVALID_REQUEST"])


async def test_each_operation_of_a_batch_is_held_to_the_limits_on_its_own(app_client: httpx.AsyncClient) -> None:
    """The alias cap counts per operation: two operations just under it pass, one over it is refused alone."""
    under = "{ " + " ".join(f"a{n}: __typename" for n in range(MAX_ALIASES)) + " }"
    over = "{ " + " ".join(f"a{n}: __typename" for n in range(MAX_ALIASES + 1)) + " }"

    response = await app_client.post("/graphql", json=[{"query": under}, {"query": over}, {"query": under}])

    first, refused, third = json_of(response)
    assert "errors" not in first
    assert "errors" not in third
    assert len(first["data"]) == MAX_ALIASES
    assert codes(refused) == ["QUERY_TOO_COMPLEX"]


async def test_a_batch_runs_persisted_queries(app_client: httpx.AsyncClient) -> None:
    document = unique_document()
    alias = document.split()[1].rstrip(":")

    response = await app_client.post(
        "/graphql",
        json=[
            {"extensions": persisted(sha(document))},
            {"query": document, "extensions": persisted(sha(document))},
            {"extensions": persisted(sha(document))},
        ],
    )

    miss, registered, hit = json_of(response)
    assert codes(miss) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert registered == hit == {"data": {alias: "Query"}}


async def over_websocket(runtime: Runtime, tmp_path: Path, role: Role) -> tuple[dict[str, Any], dict[str, Any]]:
    """An untrusted and a trusted document over one socket in PERSISTED_DOCUMENTS=required: the two first answers."""
    from server import create_app
    from tests.support.graphql import GraphQLClient

    manifest = tmp_path / "manifest.json"
    manifest.write_text(f'{{"{sha(TRUSTED)}": "{TRUSTED}"}}')
    runtime.settings = required_settings(tmp_path, manifest)
    token = await token_for(runtime, await create_customer(runtime.db, now=runtime.clock.now(), role=role))
    app = create_app(runtime, run_background=False)
    # One socket per test: the test database's one connection does not survive a guard cancelled mid-query.
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
        GraphQLClient(http, app=app).websocket(token=token) as socket,
    ):
        await socket.subscribe("{ untrusted: __typename }")
        untrusted = await socket.receive()
        await socket.subscribe(TRUSTED)
        trusted = await socket.receive()
    return untrusted, trusted


async def test_persisted_only_mode_holds_over_the_websocket(runtime: Runtime, tmp_path: Path) -> None:
    refused, trusted = await over_websocket(runtime, tmp_path, Role.CUSTOMER)

    assert refused["type"] == "error"
    assert [error["extensions"]["code"] for error in refused["payload"]] == ["PERSISTED_DOCUMENT_REQUIRED"]
    assert (trusted["type"], answer(trusted["payload"])) == ("next", {"data": {"__typename": "Query"}})


async def test_staff_send_any_document_over_the_websocket_in_persisted_only_mode(
    runtime: Runtime, tmp_path: Path
) -> None:
    untrusted, _ = await over_websocket(runtime, tmp_path, Role.OPERATOR)

    assert (untrusted["type"], answer(untrusted["payload"])) == ("next", {"data": {"untrusted": "Query"}})


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        (None, ["PERSISTED_DOCUMENTS=required needs PERSISTED_DOCUMENTS_MANIFEST (frontend documents)"]),
        (Path("manifest.json"), []),
    ],
)
def test_production_requires_a_manifest_with_persisted_only_mode(manifest: Path | None, problem: list[str]) -> None:
    from services.platform.settings import EmailGateway, Environment, SmsGateway

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment=Environment.PRODUCTION,
        secret_key="s" * 40,
        sms_gateway=SmsGateway.HTTP,
        sms_gateway_url="https://sms.example",
        email_gateway=EmailGateway.SMTP,
        database_url="postgresql://db/lk",
        payment_provider="disabled",
        persisted_documents="required",
        persisted_documents_manifest=manifest,
    )

    assert settings.production_problems() == problem

"""The app answers GraphQL over HTTP (POST and GET), serves GraphiQL, health and readiness, and tags requests."""

from __future__ import annotations

import httpx
import pytest

from tests.support.graphql import GraphQLClient
from tests.support.graphql import answer as answer_of

pytestmark = pytest.mark.smoke


async def test_typename_is_answered_over_post(gql: GraphQLClient) -> None:
    data = await gql.execute("{ __typename }")

    assert data == {"__typename": "Query"}


async def test_queries_are_answered_over_get(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/graphql", params={"query": "{ __typename }"})

    assert response.status_code == 200
    assert answer_of(response.json()) == {"data": {"__typename": "Query"}}


async def test_graphiql_is_served_to_a_browser(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_health_and_readiness(app_client: httpx.AsyncClient) -> None:
    health = await app_client.get("/healthz")
    ready = await app_client.get("/readyz")

    assert (health.status_code, health.text) == (200, "ok")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok"}


async def test_every_response_carries_a_request_id(app_client: httpx.AsyncClient) -> None:
    given = await app_client.get("/healthz", headers={"X-Request-ID": "abc123"})
    generated = await app_client.get("/healthz")

    assert given.headers["x-request-id"] == "abc123"
    assert len(generated.headers["x-request-id"]) == 32


async def test_a_syntax_error_is_a_graphql_error_not_a_crash(gql: GraphQLClient) -> None:
    body = await gql.post("{ __typename ")

    assert body["data"] is None
    assert "Syntax Error" in body["errors"][0]["message"]


async def test_mutations_over_get_are_refused(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/graphql", params={"query": "mutation { __typename }"})

    # GraphQL over HTTP: 405 with the method that is allowed; a coded JSON error, not plain text (issue 13)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_a_websocket_speaks_graphql_transport_ws(gql: GraphQLClient) -> None:
    async with gql.websocket() as socket:
        await socket.subscribe("{ __typename }")
        data = await socket.next_data()

    assert data == {"__typename": "Query"}


async def test_the_legacy_graphql_ws_protocol_is_refused(gql: GraphQLClient) -> None:
    from httpx_ws import WebSocketDisconnect, aconnect_ws
    from httpx_ws.transport import ASGIWebSocketTransport

    transport = ASGIWebSocketTransport(app=gql.app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
        aconnect_ws("http://test/graphql", client, subprotocols=["graphql-ws"]) as socket,  # type: ignore[var-annotated]
    ):
        with pytest.raises(WebSocketDisconnect) as closed:
            await socket.receive_text(timeout=5)

    assert closed.value.code == 4406


async def test_a_query_nested_deeper_than_twelve_levels_is_refused(gql: GraphQLClient) -> None:
    # me → personalAccounts → (meters → account) × 5 → meters → serial: 14 levels
    cycle = "meters { account { " * 5
    deep = "{ me { personalAccounts { " + cycle + "meters { serial }" + " } }" * 5 + " } } }"

    body = await gql.post(deep)

    assert body["data"] is None
    assert "exceeds maximum operation depth of 12" in body["errors"][0]["message"]


async def test_every_request_is_logged_with_its_status_and_duration(app_client: httpx.AsyncClient) -> None:
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        await app_client.post("/graphql", json={"query": "{ __typename }"})

    [line] = [entry for entry in logs if entry["event"] == "request"]
    assert (line["method"], line["path"], line["status"]) == ("POST", "/graphql", 200)
    assert line["ms"] >= 0


async def test_a_query_asking_for_too_many_objects_is_refused_before_it_runs(gql: GraphQLClient) -> None:
    inner = "readings(first: 100) { edges { node { id } } }"
    page = "readings(first: 100) { edges { node { id value meter { " + inner + " } } } }"
    wide = "{ me { personalAccounts { " + " ".join(f"a{n}: {page}" for n in range(3)) + " } } }"

    body = await gql.post(wide)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_the_full_cabinet_query_is_within_the_cost_bound(gql: GraphQLClient) -> None:
    from services.platform.settings import PROJECT_ROOT

    body = await gql.post((PROJECT_ROOT / "bench" / "cabinet.graphql").read_text())

    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]

"""Nothing a client sends can stall the server (issue 13): aliases, introspection and lists are counted, a request
has an execution time budget, and `{ __typename }` from another client is answered meanwhile.

Times are measured and printed for the report, never asserted (a busy machine is not a failure).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.platform.runtime import Runtime
from services.platform.settings import Settings
from tests.support.factories import create_account, create_customer
from tests.support.graphql import answer as answer_of
from tests.support.identity import token_for

INTROSPECTION = "__schema { types { name fields { name args { name } } } }"
STATEMENTS = (
    "me { personalAccounts { statements(first: 10) { edges { node { pdfUrl charges { id } payments { id } } } } } }"
)


def aliased(count: int, selection: str) -> str:
    return "{ " + " ".join(f"a{i}: {selection}" for i in range(count)) + " }"


async def post(client: httpx.AsyncClient, query: str, token: str | None = None) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    response = await client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"} if token else {}
    )
    return answer_of(response.json()), time.perf_counter() - started


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


async def stall_and_bystander(
    client: httpx.AsyncClient, query: str, token: str | None
) -> tuple[dict[str, Any], float, dict[str, Any], float]:
    (stall, stall_took), (other, other_took) = await asyncio.gather(
        post(client, query, token), post(client, "{ __typename }")
    )
    return stall, stall_took, other, other_took


async def test_the_anonymous_introspection_stall_is_refused_and_others_are_served(
    app_client: httpx.AsyncClient,
) -> None:
    stall, stall_took, other, other_took = await stall_and_bystander(app_client, aliased(200, INTROSPECTION), None)

    print(
        f"200 aliased __schema: refused in {stall_took * 1000:.0f} ms; {{ __typename }} in {other_took * 1000:.0f} ms"
    )
    assert codes(stall)[0] == "QUERY_TOO_COMPLEX"
    assert stall.get("data") is None
    assert other == {"data": {"__typename": "Query"}}


async def test_the_customer_statement_stall_is_refused_and_others_are_served(
    runtime: Runtime, app_client: httpx.AsyncClient
) -> None:
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    for _ in range(3):
        await create_account(runtime.db, now=runtime.clock.now(), owner=customer)
    token = await token_for(runtime, customer)

    stall, stall_took, other, other_took = await stall_and_bystander(app_client, aliased(150, STATEMENTS), token)

    print(f"150 aliased statements: refused in {stall_took * 1000:.0f} ms; __typename in {other_took * 1000:.0f} ms")
    assert codes(stall) == ["QUERY_TOO_COMPLEX"]
    assert other == {"data": {"__typename": "Query"}}


async def test_one_introspection_per_document(app_client: httpx.AsyncClient) -> None:
    one, _ = await post(app_client, "{ __schema { queryType { name } } }")
    two, _ = await post(app_client, '{ __schema { queryType { name } } __type(name: "Query") { name } }')

    assert one == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert codes(two) == ["QUERY_TOO_COMPLEX"]


def cost_of(query: str) -> int:
    from graphql import parse

    from resolvers.root import schema
    from schema.core.cost import operation_cost

    return operation_cost(schema._schema, parse(query))


def test_introspection_lists_and_costly_fields_are_counted() -> None:
    from schema.core.cost import COSTLY_FIELDS, INTROSPECTION_COST, UNPAGED_LIST

    plain = "me { id }"
    # me (1) + accounts (1 + id 1) + the other items of a list without `first` (UNPAGED_LIST)
    assert cost_of("{ me { personalAccounts { id } } }") == 1 + 2 + UNPAGED_LIST
    assert (
        cost_of("{ " + plain + " " + INTROSPECTION + " }")
        == cost_of("{ " + plain + " }") + INTROSPECTION_COST["__schema"]
    )
    one_statement = "{ me { personalAccounts { statements(first: 1) { edges { node { pdfUrl } } } } } }"
    no_link = one_statement.replace("pdfUrl", "id")
    assert cost_of(one_statement) - cost_of(no_link) == COSTLY_FIELDS["pdfUrl"] - 1


@pytest.mark.parametrize(("introspection", "allowed"), [("auto", False), ("on", True), ("off", False)])
async def test_introspection_in_production_only_with_introspection_on(
    runtime: Runtime, tmp_path: Path, introspection: str, allowed: bool
) -> None:
    from server import create_app

    runtime.settings = Settings(
        database_url="postgresql://unused",
        redis_url=None,
        data_dir=tmp_path / "data",
        environment="production",  # type: ignore[arg-type]
        introspection=introspection,  # type: ignore[arg-type]
    )
    app = create_app(runtime, run_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        body, _ = await post(client, "{ __schema { queryType { name } } }")
        plain, _ = await post(client, "{ __typename }")

    assert codes(body) == ([] if allowed else ["INTROSPECTION_DISABLED"])
    assert plain == {"data": {"__typename": "Query"}}


async def test_a_request_stopped_by_its_time_budget_still_reports_its_charge(
    runtime: Runtime, app_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loaders.identity import CustomerById
    from schema.core import view

    customer = await create_customer(runtime.db, now=runtime.clock.now())
    token = await token_for(runtime, customer)
    original = CustomerById.batch_load_fn

    async def slow(self: CustomerById, ids: list[int]) -> list[Any]:
        await asyncio.sleep(5)  # past the budget below: charged, then stopped
        return await original(self, ids)

    monkeypatch.setattr(CustomerById, "batch_load_fn", slow)
    monkeypatch.setattr(view, "EXECUTION_BUDGET_SECONDS", 0.5)

    # `pseudonymousKey` has a resolver: `me` is not answered in SQL, it loads its row through CustomerById
    response = await app_client.post(
        "/graphql", json={"query": "{ me { id pseudonymousKey } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    body = response.json()

    assert codes(body) == ["EXECUTION_TIME_EXCEEDED"]
    cost = body["extensions"]["cost"]
    assert cost["requested"] >= 1
    assert cost["remaining"] == cost["limit"] - cost["requested"]
    assert response.headers["X-Cost"] == str(cost["requested"])


async def test_a_request_over_its_time_budget_answers_a_coded_error(
    runtime: Runtime, app_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schema.core import view

    customer = await create_customer(runtime.db, now=runtime.clock.now())
    token = await token_for(runtime, customer)
    monkeypatch.setattr(view, "EXECUTION_BUDGET_SECONDS", 0.0)  # spent at the first wait for the database

    body, _ = await post(app_client, "{ me { personalAccounts { id } } }", token)

    assert codes(body) == ["EXECUTION_TIME_EXCEEDED"]
    assert body["data"] is None

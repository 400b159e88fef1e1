"""A cost budget per minute per viewer (per address when anonymous), charged on every execution; every response
tells the query's cost and what is left (issue 13)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx

from services.auth_tokens import decode_access_token
from services.identity.cost_budget import COST_BUDGETS, COST_WINDOW, budget_key
from services.identity.limits import window_bounds
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.identity import sign_in_as, token_for

# Nine aliased cabinets of 100 statements: close to the cost limit of one query, so a budget is spent in a few.
CABINET = "me { personalAccounts { statements(first: 100) { edges { node { pdfUrl charges { id } } } } } }"
HEAVY = "{ " + " ".join(f"a{i}: {CABINET}" for i in range(9)) + " }"
ANONYMOUS = "{ __schema { queryType { name } } }"


@asynccontextmanager
async def client_from(runtime: Runtime, address: str) -> AsyncIterator[httpx.AsyncClient]:
    from server import create_app

    app = create_app(runtime, run_background=False)
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def ask(client: httpx.AsyncClient, query: str, token: str | None = None) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"} if token else {}
    )


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


async def spend(client: httpx.AsyncClient, query: str, token: str | None, budget: int) -> tuple[int, int]:
    """Ask until refused; (how many ran, the cost of one)."""
    first = await ask(client, query, token)
    cost = first.json()["extensions"]["cost"]["requested"]
    ran = 1
    while ran <= budget // cost:
        response = await ask(client, query, token)
        if codes(response.json()):
            break
        ran += 1
    return ran, cost


def assert_refused(response: httpx.Response, now: datetime, *, limit: int, cost: int, ran: int) -> None:
    body = response.json()
    _, reset_at = window_bounds(now, COST_WINDOW)
    wait = int((reset_at - now).total_seconds())
    assert response.status_code == 429
    assert response.headers["retry-after"] == str(wait)
    assert body["data"] is None
    assert codes(body) == ["RATE_LIMITED"]
    assert body["errors"][0]["extensions"]["retryAfter"] == wait
    assert "Превышен бюджет" in body["errors"][0]["message"]
    # Refused whole and charged nothing: what is left stays what the runs left.
    assert body["extensions"]["cost"] == {
        "requested": cost,
        "limit": limit,
        "remaining": limit - ran * cost,
        "resetAt": reset_at.isoformat(),
    }


async def test_a_customer_spending_the_budget_is_refused_and_another_customer_is_not(runtime: Runtime) -> None:
    now = runtime.clock.now()
    spender = await token_for(runtime, await create_customer(runtime.db, now=now))
    other = await token_for(runtime, await create_customer(runtime.db, now=now))
    limit = COST_BUDGETS["customer"]

    async with client_from(runtime, "10.0.0.1") as client:
        ran, cost = await spend(client, HEAVY, spender, limit)
        refused = await ask(client, HEAVY, spender)
        again = await ask(client, HEAVY, spender)
        served = await ask(client, HEAVY, other)

    assert cost > 30_000
    assert ran == limit // cost  # every query that fits ran, the first that does not is refused
    assert_refused(refused, now, limit=limit, cost=cost, ran=ran)
    assert codes(again.json()) == ["RATE_LIMITED"]
    assert served.status_code == 200
    assert codes(served.json()) == []
    assert served.json()["extensions"]["cost"]["remaining"] == limit - cost


async def test_a_refused_mutation_changes_nothing(runtime: Runtime) -> None:
    now = runtime.clock.now()
    customer = await create_customer(runtime.db, now=now)
    signed_in = await sign_in_as(runtime, customer)
    sign_out = (
        'mutation { signOut(input: {refreshToken: "' + signed_in.refresh_token + '", everywhere: true}) '
        "{ errors { code } } }"
    )
    viewer = decode_access_token(secret=runtime.settings.secret_key, token=signed_in.access_token, now=now)
    assert viewer is not None

    async with client_from(runtime, "10.0.0.1") as client:
        # The whole minute's budget spent (by other requests, say): even a mutation costing 3 does not fit.
        key = budget_key(customer_id=customer.id, service_token_id=None, client_ip="10.0.0.1")
        await runtime.rate_limiter.hit(key, window=COST_WINDOW, now=now, amount=COST_BUDGETS["customer"])
        refused = await ask(client, sign_out, signed_in.access_token)

    assert codes(refused.json()) == ["RATE_LIMITED"]
    assert await runtime.session_guard.honours(viewer)  # not signed out: the mutation did not run


async def test_anonymous_requests_are_budgeted_per_address(runtime: Runtime) -> None:
    now = runtime.clock.now()
    limit = COST_BUDGETS["anonymous"]

    async with client_from(runtime, "10.0.0.7") as spender, client_from(runtime, "10.0.0.8") as neighbour:
        ran, cost = await spend(spender, ANONYMOUS, None, limit)
        refused = await ask(spender, ANONYMOUS, None)
        served = await ask(neighbour, ANONYMOUS, None)

    assert ran == limit // cost
    assert_refused(refused, now, limit=limit, cost=cost, ran=ran)
    assert served.status_code == 200
    assert codes(served.json()) == []
    assert served.json()["extensions"]["cost"]["remaining"] == limit - cost


async def test_every_response_tells_the_cost_and_what_is_left_and_a_cached_document_is_charged_again(
    runtime: Runtime,
) -> None:
    now = runtime.clock.now()
    token = await token_for(runtime, await create_customer(runtime.db, now=now))
    query = "{ me { personalAccounts { statements(first: 10) { edges { node { pdfUrl } } } } } }"
    limit = COST_BUDGETS["customer"]

    async with client_from(runtime, "10.0.0.1") as client:
        # The same document three times: validated once, then answered from the validation cache.
        responses = [await ask(client, query, token) for _ in range(3)]

    costs = {response.json()["extensions"]["cost"]["requested"] for response in responses}
    assert len(costs) == 1
    (cost,) = costs
    assert cost > 1
    _, reset_at = window_bounds(now, COST_WINDOW)
    for index, response in enumerate(responses, start=1):
        assert codes(response.json()) == []
        assert response.json()["extensions"]["cost"] == {
            "requested": cost,
            "limit": limit,
            "remaining": limit - index * cost,
            "resetAt": reset_at.isoformat(),
        }
        assert response.headers["x-cost"] == str(cost)
        assert response.headers["x-ratelimit-limit"] == str(limit)
        assert response.headers["x-ratelimit-remaining"] == str(limit - index * cost)
        assert response.headers["x-ratelimit-reset"] == str(int(reset_at.timestamp()))


def test_the_budgets_per_role_are_published_in_the_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for role, budget in COST_BUDGETS.items():
        assert f"| {role} | {budget:,} |" in readme


# Refused before execution, each charged nothing: (what is sent, its expected code, its expected cost).
TOO_COMPLEX = "{ " + " ".join(f"a{i}: {CABINET}" for i in range(30)) + " }"
MISSING_HASH = "0" * 64
REFUSALS: list[tuple[str, Any, str]] = [
    ("parse error", {"query": "{ me { "}, "GRAPHQL_PARSE_FAILED"),
    ("validation error", {"query": "{ noSuchField }"}, "GRAPHQL_VALIDATION_FAILED"),
    ("cost limit", {"query": TOO_COMPLEX}, "QUERY_TOO_COMPLEX"),
    (
        "persisted-query miss",
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": MISSING_HASH}}},
        "PERSISTED_QUERY_NOT_FOUND",
    ),
    ("empty batch", [], "INVALID_REQUEST"),
    ("body not an object", 42, "INVALID_REQUEST"),
]


async def test_a_request_refused_before_execution_tells_its_cost_and_the_budget_left(runtime: Runtime) -> None:
    now = runtime.clock.now()
    token = await token_for(runtime, await create_customer(runtime.db, now=now))
    limit = COST_BUDGETS["customer"]
    _, reset_at = window_bounds(now, COST_WINDOW)

    async with client_from(runtime, "10.0.0.2") as client:
        spent = (await ask(client, "{ me { phone } }", token)).json()["extensions"]["cost"]["requested"]
        answers = {
            name: await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
            for name, body, _ in REFUSALS
        }
        after = (await ask(client, "{ me { phone } }", token)).json()["extensions"]["cost"]

    for name, _, code in REFUSALS:
        response = answers[name]
        report = response.json()["extensions"]["cost"]
        assert codes(response.json())[:1] == [code], name
        if name != "cost limit":  # what the cost limit counted, below; nothing was counted for the others
            assert report["requested"] == 0, name
        assert (report["limit"], report["remaining"], report["resetAt"]) == (
            limit,
            limit - spent,
            reset_at.isoformat(),
        ), name
        assert response.headers["x-ratelimit-remaining"] == str(limit - spent), name
        assert response.headers["x-cost"] == str(report["requested"]), name
    assert answers["cost limit"].json()["extensions"]["cost"]["requested"] > 50_000
    assert after["remaining"] == limit - 2 * spent  # the refusals were charged nothing

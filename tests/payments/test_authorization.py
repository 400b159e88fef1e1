"""Who may start a payment: only the customer linked to the account; staff do not pay for customers."""

from __future__ import annotations

from typing import Any

import pytest

from services.platform.runtime import Runtime
from tests.support.callers import make_callers, matrix
from tests.support.graphql import GraphQLClient
from tests.support.payments import START, create_indebted_account, snapshot, start_input


def outcome(body: dict[str, Any]) -> str:
    """ "ok", the GraphQL error code, or the payload's first error code."""
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    errors = body["data"]["startPayment"]["errors"]
    return str(errors[0]["code"]) if errors else "ok"


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "ok"),
)
async def test_start_payment(runtime: Runtime, gql: GraphQLClient, caller: str, expected: str) -> None:
    callers = await make_callers(runtime)
    account = await create_indebted_account(runtime, owner=callers.people["owner"])
    before = await snapshot(runtime, account.id)

    body = await gql.as_token(callers.tokens[caller]).post(START, start_input(account))

    assert outcome(body) == expected
    grew = (await snapshot(runtime, account.id)).payments - before.payments
    assert grew == (1 if expected == "ok" else 0)

"""GraphQL `importStatements`: for integrations with `billing:write`, in BILLING_MODE=external only."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.integrations.service_tokens import create_service_token
from services.platform.runtime import Runtime
from tests.billing.test_close import rows
from tests.support.callers import make_callers, matrix
from tests.support.factories import create_account
from tests.support.graphql import GraphQLClient
from tests.support.objects import global_id

NOVEMBER = date(2026, 11, 1)
IMPORT = """
mutation ($input: ImportStatementsInput!) {
  importStatements(input: $input) { created skipped repeatedBatch errors { field code message } }
}"""


def statement(number: str, external_id: str = "s-nov", kwh: int = 120, opening: int = 70_000) -> dict[str, Any]:
    amount = kwh * 700
    return {
        "externalId": external_id, "accountNumber": number, "period": "2026-11-01", "openingBalance": opening,
        "charged": amount, "recalculated": 0, "paid": 0, "penalty": 0, "closingBalance": opening + amount,
        "issuedOn": "2026-12-05", "dueOn": "2026-12-15",
        "charges": [{"zone": "SINGLE", "kind": "CONSUMPTION", "basis": "READINGS", "volume": kwh, "rate": 700,
                     "amount": amount}],
    }  # fmt: skip


def outcome(body: dict[str, Any]) -> str:
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    errors = body["data"]["importStatements"]["errors"]
    return str(errors[0]["code"]) if errors else "ok"


async def _stored(runtime: Runtime, account_id: int | None) -> list[tuple[Any, ...]]:
    return await rows(
        runtime.db,
        "SELECT period, closing_balance, external_id IS NOT NULL FROM statement WHERE account_id = :a",
        a=account_id,
    )


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        *matrix("UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"),
        ("service without billing:write", "FORBIDDEN"),
        ("service with billing:write", "ok"),
    ],
)
async def test_who_may_import_statements(runtime: Runtime, gql: GraphQLClient, caller: str, expected: str) -> None:
    runtime.settings.billing_mode = "external"
    callers = await make_callers(runtime)
    account, _ = await create_account(runtime.db, now=runtime.clock.now(), owner=callers.people["owner"])
    if caller.startswith("service"):
        scopes = ["billing:write"] if caller.endswith("with billing:write") else ["payments:write"]
        token: str | None = await create_service_token(runtime, name="1С", scopes=scopes)
    else:
        token = callers.tokens[caller]

    body = await gql.as_token(token).post(
        IMPORT, {"input": {"batchId": "b1", "statements": [statement(account.number)]}}
    )

    assert outcome(body) == expected
    assert await _stored(runtime, account.id) == ([(NOVEMBER, 154_000, True)] if expected == "ok" else [])


async def test_a_batch_sent_again_changes_nothing_and_bad_items_answer_their_field(
    runtime: Runtime, gql: GraphQLClient
) -> None:
    runtime.settings.billing_mode = "external"
    account, _ = await create_account(runtime.db, now=runtime.clock.now())
    client = gql.as_token(await create_service_token(runtime, name="1С", scopes=["billing:write"]))

    first = await client.execute(IMPORT, {"input": {"batchId": "b1", "statements": [statement(account.number)]}})
    again = await client.execute(IMPORT, {"input": {"batchId": "b1", "statements": [statement(account.number)]}})
    other_batch = await client.execute(IMPORT, {"input": {"batchId": "b2", "statements": [statement(account.number)]}})
    broken = statement(account.number, "s-bad", opening=154_000) | {"closingBalance": 1}
    bad = await client.execute(IMPORT, {"input": {"batchId": "b3", "statements": [broken]}})
    point_id = global_id("PersonalAccount", account.id)  # not a delivery point's id
    foreign = statement(account.number, "s-x") | {"accountNumber": None, "deliveryPointId": point_id}
    missing = await client.execute(IMPORT, {"input": {"batchId": "b4", "statements": [foreign]}})

    assert first["importStatements"] == {"created": 1, "skipped": 0, "repeatedBatch": False, "errors": []}
    assert again["importStatements"] == {"created": 0, "skipped": 0, "repeatedBatch": True, "errors": []}
    assert other_batch["importStatements"] == {"created": 0, "skipped": 1, "repeatedBatch": False, "errors": []}
    assert bad["importStatements"]["created"] == 0
    assert bad["importStatements"]["errors"][0]["field"][:3] == ["input", "statements", "0"]
    assert missing["importStatements"]["errors"][0]["code"] == "NOT_FOUND"
    assert await _stored(runtime, account.id) == [(NOVEMBER, 154_000, True)]


async def test_refused_while_the_server_bills_itself(runtime: Runtime, gql: GraphQLClient) -> None:
    account, _ = await create_account(runtime.db, now=runtime.clock.now())
    client = gql.as_token(await create_service_token(runtime, name="1С", scopes=["billing:write"]))

    body = await client.execute(IMPORT, {"input": {"batchId": "b1", "statements": [statement(account.number)]}})

    assert body["importStatements"]["errors"][0]["code"] == "BILLING_MODE_INTERNAL"
    assert await _stored(runtime, account.id) == []

"""GraphQL: startPayment answers the SBP QR code; importPayments is for integrations with `payments:write` and
pushes paymentStatusChanged to the account's owner."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from services.events.relay import relay_once
from services.events.stream import latest_position
from services.integrations.service_tokens import create_service_token
from services.payments.qr import qr_svg
from services.platform.runtime import Runtime
from tests.support.callers import make_callers, matrix
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import global_id
from tests.support.payments import DEBT, create_indebted_account, snapshot, start_input

START_QR = """
mutation ($input: StartPaymentInput!) {
  startPayment(input: $input) { confirmationUrl sbpQr { link svg pngUrl } errors { code } }
}"""
IMPORT = """
mutation ($input: ImportPaymentsInput!) {
  importPayments(input: $input) { created skipped errors { field code message } }
}"""
STATUS_CHANGED = """
subscription ($accountId: ID!, $after: String) {
  paymentStatusChanged(accountId: $accountId, after: $after) { oldStatus newStatus payment { amount method } }
}"""


def item(number: str, external_id: str = "bank-1", electricity: int = 100_000) -> dict[str, Any]:
    return {
        "externalId": external_id,
        "accountNumber": number,
        "electricity": electricity,
        "paidAt": "2026-11-25T12:00:00+03:00",
        "method": "BANK",
    }


def outcome(body: dict[str, Any]) -> str:
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    errors = body["data"]["importPayments"]["errors"]
    return str(errors[0]["code"]) if errors else "ok"


async def test_an_sbp_payment_answers_its_qr_code(
    runtime: Runtime, gql: GraphQLClient, app_client: httpx.AsyncClient
) -> None:
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    account = await create_indebted_account(runtime, owner=customer)
    token = await token_for(runtime, customer)

    sbp = (await gql.as_token(token).execute(START_QR, start_input(account)))["startPayment"]
    card = (await gql.as_token(token).execute(START_QR, start_input(account, method="CARD", key="k2")))["startPayment"]
    png = await app_client.get(urlsplit(sbp["sbpQr"]["pngUrl"]).path + "?" + urlsplit(sbp["sbpQr"]["pngUrl"]).query)

    assert sbp["sbpQr"]["link"] == sbp["confirmationUrl"]
    assert sbp["sbpQr"]["svg"] == qr_svg(sbp["confirmationUrl"])
    assert png.status_code == 200
    assert png.content.startswith(b"\x89PNG")
    assert card["sbpQr"] is None


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        *matrix("UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"),
        ("service without payments:write", "FORBIDDEN"),
        ("service with payments:write", "ok"),
    ],
)
async def test_import_payments(runtime: Runtime, gql: GraphQLClient, caller: str, expected: str) -> None:
    # given
    callers = await make_callers(runtime)
    account = await create_indebted_account(runtime, owner=callers.people["owner"])
    if caller.startswith("service"):
        scopes = ["payments:write"] if caller.endswith("with payments:write") else ["readings:write"]
        token: str | None = await create_service_token(runtime, name="Банк", scopes=scopes)
    else:
        token = callers.tokens[caller]
    before = await snapshot(runtime, account.id)

    # when
    body = await gql.as_token(token).post(IMPORT, {"input": {"items": [item(account.number)]}})

    # then
    assert outcome(body) == expected
    after = await snapshot(runtime, account.id)
    assert after.payments - before.payments == (1 if expected == "ok" else 0)
    assert after.debt == (
        (DEBT["electricity"] - 100_000, DEBT["penalty"], DEBT["state_duty"]) if expected == "ok" else before.debt
    )


async def test_an_import_reaches_the_owner_live_once_and_bad_items_answer_their_field(
    runtime: Runtime, gql: GraphQLClient
) -> None:
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    account = await create_indebted_account(runtime, owner=customer)
    owner = await token_for(runtime, customer)
    bank = await create_service_token(runtime, name="Банк", scopes=["payments:write"])
    await relay_once(runtime)
    after = str(await latest_position(runtime.db))

    async with gql.websocket(token=owner) as socket:
        await socket.subscribe(STATUS_CHANGED, {"accountId": global_id("PersonalAccount", account.id), "after": after})
        first = await gql.as_token(bank).execute(IMPORT, {"input": {"items": [item(account.number)]}})
        again = await gql.as_token(bank).execute(IMPORT, {"input": {"items": [item(account.number)]}})
        await relay_once(runtime)
        change = (await socket.next_data())["paymentStatusChanged"]
    bad = await gql.as_token(bank).execute(
        IMPORT, {"input": {"items": [item(account.number, "x-2"), item("000000000", "x-3")]}}
    )

    assert first["importPayments"] == {"created": 1, "skipped": 0, "errors": []}
    assert again["importPayments"] == {"created": 0, "skipped": 1, "errors": []}
    assert change == {
        "oldStatus": "PENDING",
        "newStatus": "SUCCEEDED",
        "payment": {"amount": 100_000, "method": "BANK"},
    }
    assert bad["importPayments"]["created"] == 0
    assert bad["importPayments"]["errors"] == [
        {"field": ["input", "items", "1", "accountNumber"], "code": "NOT_FOUND", "message": "Лицевой счёт не найден"}
    ]
    assert (await snapshot(runtime, account.id)).debt == (
        DEBT["electricity"] - 100_000,
        DEBT["penalty"],
        DEBT["state_duty"],
    )

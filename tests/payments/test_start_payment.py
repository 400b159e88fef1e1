"""startPayment: a PENDING payment with the provider's link, once per idempotency key; bad input creates nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import select

from models import Payment, PersonalAccount
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.payments import START, create_indebted_account, snapshot, start_input


@dataclass
class Owner:
    account: PersonalAccount
    token: str


@pytest.fixture
async def owner(runtime: Runtime) -> Owner:
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    account = await create_indebted_account(runtime, owner=customer)
    return Owner(account=account, token=await token_for(runtime, customer))


async def stored(runtime: Runtime, provider_payment_id: str) -> Payment:
    async with runtime.db.session() as session:
        statement = select(Payment).where(Payment.provider_payment_id == provider_payment_id)
        return (await session.exec(statement)).one()


async def test_sbp_payment_starts_pending_with_an_nspk_link(owner: Owner, gql: GraphQLClient, runtime: Runtime) -> None:
    body = await gql.as_token(owner.token).execute(START, start_input(owner.account, state_duty=30_000))

    result = body["startPayment"]
    assert result["errors"] == []
    payment = result["payment"]
    assert payment | {"id": None} == {
        "id": None,
        "amount": 215_500,
        "electricity": 184_250,
        "penalty": 1_250,
        "stateDuty": 30_000,
        "method": "SBP",
        "status": "PENDING",
        "confirmationUrl": result["confirmationUrl"],
        "paidAt": None,
    }
    url = result["confirmationUrl"]
    assert url.startswith("https://qr.nspk.ru/")
    assert url.endswith("?type=02&sum=215500&cur=RUB")
    row = await stored(runtime, url.removeprefix("https://qr.nspk.ru/").split("?")[0])
    assert (row.provider, row.account_id, row.idempotency_key) == ("dev", owner.account.id, "pay-1")


async def test_card_payment_redirects_to_the_payment_page(owner: Owner, gql: GraphQLClient, runtime: Runtime) -> None:
    body = await gql.as_token(owner.token).execute(START, start_input(owner.account, method="CARD"))

    url = body["startPayment"]["confirmationUrl"]
    prefix = f"{runtime.settings.public_url}/pay/dev/"
    assert url.startswith(prefix)
    assert (await stored(runtime, url.removeprefix(prefix))).method == "CARD"


async def test_electricity_above_the_debt_is_an_advance(owner: Owner, gql: GraphQLClient) -> None:
    body = await gql.as_token(owner.token).execute(START, start_input(owner.account, electricity=500_000, penalty=0))

    assert body["startPayment"]["payment"]["amount"] == 500_000


async def test_a_retry_with_the_same_key_returns_the_first_payment(
    owner: Owner, gql: GraphQLClient, runtime: Runtime
) -> None:
    client = gql.as_token(owner.token)
    first = await client.execute(START, start_input(owner.account))
    before = await snapshot(runtime, owner.account.id)

    again = await client.execute(START, start_input(owner.account))

    assert again["startPayment"] == first["startPayment"]
    assert await snapshot(runtime, owner.account.id) == before


async def test_the_same_key_with_another_split_is_refused(owner: Owner, gql: GraphQLClient, runtime: Runtime) -> None:
    client = gql.as_token(owner.token)
    await client.execute(START, start_input(owner.account))
    before = await snapshot(runtime, owner.account.id)

    body = await client.execute(START, start_input(owner.account, electricity=1_000))

    assert [(e["code"], e["field"]) for e in body["startPayment"]["errors"]] == [
        ("INVALID_INPUT", ["input", "idempotencyKey"])
    ]
    assert await snapshot(runtime, owner.account.id) == before


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        ({"electricity": -100}, [("INVALID_AMOUNT", "electricity")]),
        ({"penalty": -1}, [("INVALID_AMOUNT", "penalty")]),
        ({"electricity": 0, "penalty": 0, "state_duty": 0}, [("INVALID_AMOUNT", "electricity")]),
        ({"penalty": 1_251}, [("INVALID_AMOUNT", "penalty")]),
        ({"state_duty": 30_001}, [("INVALID_AMOUNT", "stateDuty")]),
        ({"penalty": 1_251, "state_duty": 30_001}, [("INVALID_AMOUNT", "penalty"), ("INVALID_AMOUNT", "stateDuty")]),
        ({"electricity": 100_000_001, "penalty": 0}, [("INVALID_AMOUNT", "electricity")]),
        ({"method": "BANK"}, [("INVALID_INPUT", "method")]),
        ({"method": "CASH_DESK"}, [("INVALID_INPUT", "method")]),
        ({"key": " "}, [("INVALID_INPUT", "idempotencyKey")]),
        ({"key": "k" * 65}, [("INVALID_INPUT", "idempotencyKey")]),
    ],
)
async def test_bad_input_is_refused_and_creates_nothing(
    owner: Owner, gql: GraphQLClient, runtime: Runtime, amounts: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    before = await snapshot(runtime, owner.account.id)

    body = await gql.as_token(owner.token).execute(START, start_input(owner.account, **amounts))

    result = body["startPayment"]
    assert result["payment"] is None
    assert [(e["code"], e["field"][-1]) for e in result["errors"]] == expected
    assert all(e["message"] for e in result["errors"])
    assert await snapshot(runtime, owner.account.id) == before


async def test_a_fraction_of_a_kopeck_is_a_graphql_error(owner: Owner, gql: GraphQLClient, runtime: Runtime) -> None:
    before = await snapshot(runtime, owner.account.id)

    body = await gql.as_token(owner.token).post(START, start_input(owner.account, electricity=100.5))

    assert body["errors"]
    assert body.get("data") is None
    assert await snapshot(runtime, owner.account.id) == before


async def test_another_customers_account_answers_like_a_missing_one(
    owner: Owner, gql: GraphQLClient, runtime: Runtime
) -> None:
    theirs = await create_indebted_account(runtime, owner=await create_customer(runtime.db, now=runtime.clock.now()))
    missing = 999_999_999
    before = await snapshot(runtime, theirs.id)
    client = gql.as_token(owner.token)

    other = await client.execute(START, start_input(theirs))
    absent = await client.execute(START, start_input(missing, key="pay-2"))

    assert other["startPayment"]["errors"] == absent["startPayment"]["errors"]
    assert [e["code"] for e in other["startPayment"]["errors"]] == ["NOT_FOUND"]
    assert await snapshot(runtime, theirs.id) == before

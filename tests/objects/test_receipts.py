"""The e-receipt setting: per linked account and per family member; an email is required to turn it on."""

from __future__ import annotations

from typing import Any

import pytest

from models import AccountLink, Customer, PersonalAccount
from services.platform.runtime import Runtime
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient
from tests.support.objects import count_where, global_id, token_for

UPDATE = """
mutation($input: UpdateReceiptDeliveryInput!) {
  updateReceiptDelivery(input: $input) {
    personalAccount { number receiptDelivery { electronic email } }
    errors { field code message }
  }
}"""

MY_SETTINGS = "{ me { personalAccounts { number receiptDelivery { electronic email } } } }"


@pytest.fixture
async def customer(runtime: Runtime) -> Customer:
    return await create_customer(runtime.db, now=runtime.clock.now())


@pytest.fixture
async def account(runtime: Runtime, customer: Customer) -> PersonalAccount:
    account, _ = await create_account(runtime.db, now=runtime.clock.now(), owner=customer)
    return account


async def update(gql: GraphQLClient, token: str, account_id: int | None, **fields: Any) -> dict[str, Any]:
    data = await gql.as_token(token).execute(
        UPDATE, {"input": {"accountId": global_id("PersonalAccount", account_id), **fields}}
    )
    payload: dict[str, Any] = data["updateReceiptDelivery"]
    return payload


async def electronic_links(runtime: Runtime, account: PersonalAccount) -> int:
    return await count_where(
        runtime, "account_link", "account_id = :id AND (receipt_electronic OR receipt_email IS NOT NULL)", id=account.id
    )


async def test_receipts_are_switched_to_email_and_back_keeping_the_address(
    gql: GraphQLClient, runtime: Runtime, customer: Customer, account: PersonalAccount
) -> None:
    token = await token_for(runtime, customer)

    on = await update(gql, token, account.id, electronic=True, email=" Ivanov@Mail.RU ")
    off = await update(gql, token, account.id, electronic=False)

    assert on == {
        "personalAccount": {
            "number": account.number,
            "receiptDelivery": {"electronic": True, "email": "Ivanov@mail.ru"},
        },
        "errors": [],
    }
    assert off["personalAccount"]["receiptDelivery"] == {"electronic": False, "email": "Ivanov@mail.ru"}


async def test_each_family_member_has_their_own_setting(
    gql: GraphQLClient, runtime: Runtime, customer: Customer, account: PersonalAccount
) -> None:
    # given: the spouse shares the account
    spouse = await create_customer(runtime.db, now=runtime.clock.now())
    assert spouse.id is not None
    assert account.id is not None
    async with runtime.db.session() as session:
        session.add(AccountLink(customer_id=spouse.id, account_id=account.id, linked_at=runtime.clock.now()))
        await session.commit()

    # when
    await update(gql, await token_for(runtime, spouse), account.id, electronic=True, email="spouse@yandex.ru")

    # then
    mine = await gql.as_token(await token_for(runtime, customer)).execute(MY_SETTINGS)
    theirs = await gql.as_token(await token_for(runtime, spouse)).execute(MY_SETTINGS)
    assert mine["me"]["personalAccounts"][0]["receiptDelivery"] == {"electronic": False, "email": None}
    assert theirs["me"]["personalAccounts"][0]["receiptDelivery"] == {"electronic": True, "email": "spouse@yandex.ru"}


@pytest.mark.parametrize(
    "fields",
    [
        {"electronic": True},
        {"electronic": True, "email": "   "},
        {"electronic": True, "email": "ivanov@mail"},
        {"electronic": True, "email": "иванов@почта.рф"},
        {"electronic": False, "email": "not an email"},
    ],
)
async def test_a_missing_or_bad_email_is_refused_and_nothing_changes(
    gql: GraphQLClient, runtime: Runtime, customer: Customer, account: PersonalAccount, fields: dict[str, Any]
) -> None:
    token = await token_for(runtime, customer)

    payload = await update(gql, token, account.id, **fields)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_EMAIL", ["input", "email"])]
    assert payload["personalAccount"] is None
    assert await electronic_links(runtime, account) == 0


async def test_another_customers_account_answers_like_a_missing_one(
    gql: GraphQLClient, runtime: Runtime, account: PersonalAccount
) -> None:
    stranger = await create_customer(runtime.db, now=runtime.clock.now())
    token = await token_for(runtime, stranger)

    foreign = await update(gql, token, account.id, electronic=True, email="stranger@mail.ru")
    absent = await update(gql, token, 999_999_999, electronic=True, email="stranger@mail.ru")

    assert foreign == absent
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]
    assert await electronic_links(runtime, account) == 0

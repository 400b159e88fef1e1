"""Linking personal accounts by the receipt's activation code; unlinking; the lock after five wrong codes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from models import Customer, PersonalAccount
from services.demo import list_unlinked_accounts
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient
from tests.support.objects import add_activation_code, count_where, global_id, sms_of, token_for

LINK = """
mutation($input: LinkPersonalAccountInput!) {
  linkPersonalAccount(input: $input) {
    personalAccount { id number }
    errors { field code message }
  }
}"""

UNLINK = """
mutation($input: UnlinkPersonalAccountInput!) {
  unlinkPersonalAccount(input: $input) { unlinkedAccountId errors { field code message } }
}"""

MY_ACCOUNT_NUMBERS = "{ me { personalAccounts { number } } }"
CODE = "K7M3PQ9X"


@pytest.fixture
async def customer(runtime: Runtime) -> Customer:
    return await create_customer(runtime.db, now=runtime.clock.now())


@pytest.fixture
async def account(runtime: Runtime) -> PersonalAccount:
    """An account nobody has linked, with a receipt code issued a month ago."""
    now = runtime.clock.now()
    account, _ = await create_account(runtime.db, now=now)
    await add_activation_code(
        runtime.db, account, CODE, issued_at=now - timedelta(days=30), expires_at=now + timedelta(days=60)
    )
    return account


async def link(gql: GraphQLClient, token: str, number: str, code: str) -> dict[str, Any]:
    data = await gql.as_token(token).execute(LINK, {"input": {"number": number, "activationCode": code}})
    payload: dict[str, Any] = data["linkPersonalAccount"]
    return payload


async def links_of(runtime: Runtime, account: PersonalAccount) -> int:
    return await count_where(runtime, "account_link", "account_id = :id", id=account.id)


async def test_a_demo_account_is_linked_with_the_code_from_its_receipt(
    gql: GraphQLClient, runtime: Runtime, customer: Customer
) -> None:
    # given
    unlinked = [a for a in await list_unlinked_accounts(db=runtime.db, clock=runtime.clock) if not a["expired"]]
    demo = unlinked[0]
    token = await token_for(runtime, customer)

    # when
    payload = await link(gql, token, demo["number"], demo["activationCode"].lower())

    # then
    assert payload["errors"] == []
    assert payload["personalAccount"]["number"] == demo["number"]
    mine = await gql.as_token(token).execute(MY_ACCOUNT_NUMBERS)
    assert {"number": demo["number"]} in mine["me"]["personalAccounts"]
    assert await sms_of(runtime, customer, "ACCOUNT_LINKED") == [
        f"Сведения по лицевому счёту {demo['number']} загружены в Личный кабинет ТГК-2 Энергосбыт."
    ]


@pytest.mark.parametrize("number", ["12345678", "1234567890", "12345678a", "", "١٢٣٤٥٦٧٨٩"])
async def test_a_number_that_is_not_9_digits_is_refused(
    gql: GraphQLClient, runtime: Runtime, customer: Customer, number: str
) -> None:
    token = await token_for(runtime, customer)

    payload = await link(gql, token, number, CODE)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_ACCOUNT_NUMBER", ["input", "number"])]
    assert await count_where(runtime, "activation_attempt", "customer_id = :id", id=customer.id) == 0


async def test_a_wrong_number_and_a_wrong_code_get_the_same_answer(
    gql: GraphQLClient, runtime: Runtime, customer: Customer, account: PersonalAccount
) -> None:
    # given
    token = await token_for(runtime, customer)

    # when
    unknown_number = await link(gql, token, "100000000", CODE)
    wrong_code = await link(gql, token, account.number, "WRONG123")

    # then
    assert unknown_number["errors"] == wrong_code["errors"]
    assert [e["code"] for e in wrong_code["errors"]] == ["ACCOUNT_OR_CODE_INVALID"]
    assert unknown_number["personalAccount"] is wrong_code["personalAccount"] is None
    assert await links_of(runtime, account) == 0
    assert await sms_of(runtime, customer, "ACCOUNT_LINKED") == []


async def test_an_expired_code_is_refused_as_expired(gql: GraphQLClient, runtime: Runtime, customer: Customer) -> None:
    # given: the receipt was issued four months ago
    now = runtime.clock.now()
    account, _ = await create_account(runtime.db, now=now)
    await add_activation_code(
        runtime.db, account, "OLD4CODE", issued_at=now - timedelta(days=120), expires_at=now - timedelta(days=30)
    )
    token = await token_for(runtime, customer)

    # when
    payload = await link(gql, token, account.number, "old4code")

    # then
    assert [e["code"] for e in payload["errors"]] == ["ACTIVATION_CODE_EXPIRED"]
    assert await links_of(runtime, account) == 0


async def test_five_wrong_codes_lock_the_account_for_an_hour_even_for_the_right_code(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, customer: Customer, account: PersonalAccount
) -> None:
    # given
    token = await token_for(runtime, customer)
    for attempt in range(5):
        payload = await link(gql, token, account.number, f"WRONG{attempt:03d}")
        assert [e["code"] for e in payload["errors"]] == ["ACCOUNT_OR_CODE_INVALID"]
        clock.advance(timedelta(minutes=1))

    # when (access tokens last 15 minutes: a fresh one after each long wait)
    locked = await link(gql, token, account.number, CODE)
    clock.advance(timedelta(minutes=55))
    still_locked = await link(gql, await token_for(runtime, customer), account.number, CODE)
    clock.advance(timedelta(minutes=4))  # 13:04, an hour after the fifth failure
    unlocked = await link(gql, await token_for(runtime, customer), account.number, CODE)

    # then
    assert [e["code"] for e in locked["errors"]] == ["TOO_MANY_ATTEMPTS"]
    assert "13:04" in locked["errors"][0]["message"]  # an hour after the fifth failure, Moscow time
    assert [e["code"] for e in still_locked["errors"]] == ["TOO_MANY_ATTEMPTS"]
    assert unlocked["errors"] == []
    assert unlocked["personalAccount"]["number"] == account.number


async def test_a_made_up_number_locks_exactly_like_a_real_one(
    gql: GraphQLClient, runtime: Runtime, customer: Customer, account: PersonalAccount
) -> None:
    token = await token_for(runtime, customer)
    answers: dict[str, list[Any]] = {}

    for number in (account.number, "100000001"):
        for attempt in range(5):
            await link(gql, token, number, f"WRONG{attempt:03d}")
        answers[number] = (await link(gql, token, number, "WRONG999"))["errors"]

    assert answers[account.number] == answers["100000001"]
    assert [e["code"] for e in answers["100000001"]] == ["TOO_MANY_ATTEMPTS"]


async def test_linking_an_account_twice_is_refused(
    gql: GraphQLClient, runtime: Runtime, customer: Customer, account: PersonalAccount
) -> None:
    token = await token_for(runtime, customer)
    await link(gql, token, account.number, CODE)

    again = await link(gql, token, account.number, CODE)

    assert [e["code"] for e in again["errors"]] == ["ALREADY_LINKED"]
    assert await links_of(runtime, account) == 1
    assert len(await sms_of(runtime, customer, "ACCOUNT_LINKED")) == 1


async def test_a_family_links_one_account_and_one_member_unlinks_it(
    gql: GraphQLClient, runtime: Runtime, customer: Customer, account: PersonalAccount
) -> None:
    # given: two members of a family link the same account
    spouse = await create_customer(runtime.db, now=runtime.clock.now())
    my_token, spouse_token = await token_for(runtime, customer), await token_for(runtime, spouse)
    assert (await link(gql, my_token, account.number, CODE))["errors"] == []
    assert (await link(gql, spouse_token, account.number, CODE))["errors"] == []

    # when
    data = await gql.as_token(spouse_token).execute(
        UNLINK, {"input": {"accountId": global_id("PersonalAccount", account.id)}}
    )

    # then
    assert data["unlinkPersonalAccount"] == {
        "unlinkedAccountId": global_id("PersonalAccount", account.id),
        "errors": [],
    }
    mine = await gql.as_token(my_token).execute(MY_ACCOUNT_NUMBERS)
    theirs = await gql.as_token(spouse_token).execute(MY_ACCOUNT_NUMBERS)
    assert mine["me"]["personalAccounts"] == [{"number": account.number}]
    assert theirs["me"]["personalAccounts"] == []
    assert await count_where(runtime, "personal_account", "id = :id", id=account.id) == 1


async def test_unlinking_another_customers_account_answers_like_a_missing_one(
    gql: GraphQLClient, runtime: Runtime, customer: Customer
) -> None:
    # given
    owner = await create_customer(runtime.db, now=runtime.clock.now())
    account, _ = await create_account(runtime.db, now=runtime.clock.now(), owner=owner)
    token = await token_for(runtime, customer)

    # when
    foreign = await gql.as_token(token).execute(
        UNLINK, {"input": {"accountId": global_id("PersonalAccount", account.id)}}
    )
    missing = await gql.as_token(token).execute(
        UNLINK, {"input": {"accountId": global_id("PersonalAccount", 999_999_999)}}
    )

    # then
    assert foreign == missing
    assert [e["code"] for e in foreign["unlinkPersonalAccount"]["errors"]] == ["NOT_FOUND"]
    assert await links_of(runtime, account) == 1

"""Profile changes (phone by SMS code, password) and who may see and change a customer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from strawberry.relay import to_base64

from models import Customer
from models.enums import Role
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.support.factories import DEFAULT_PASSWORD, create_customer, unique_phone
from tests.support.graphql import GraphQLClient
from tests.support.identity import ME, SIGN_IN, count_rows, error_codes_of, last_sms_to, sms_code_for, token_for

START_PHONE_CHANGE = """
mutation($input: StartPhoneChangeInput!) {
  startPhoneChange(input: $input) { challenge { id } errors { field code message } }
}"""

CONFIRM_PHONE_CHANGE = """
mutation($input: ConfirmPhoneChangeInput!) {
  confirmPhoneChange(input: $input) { customer { phone } errors { field code message } }
}"""

START_EMAIL_CHANGE = """
mutation($input: StartEmailChangeInput!) {
  startEmailChange(input: $input) { challenge { id } errors { field code message } }
}"""

CHANGE_PASSWORD = """
mutation($input: ChangePasswordInput!) {
  changePassword(input: $input) { customer { phone } errors { field code message } }
}"""

NODE = "query($id: ID!) { node(id: $id) { ... on Customer { id phone email role } } }"


async def stored(runtime: Runtime, customer_id: int | None) -> Customer:
    async with runtime.db.session() as session:
        found = await session.get(Customer, customer_id)
    assert found is not None
    return found


async def test_a_customer_changes_their_phone_with_a_code_sent_to_the_new_number(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given
    customer = await create_customer(runtime.db, now=clock.now())
    me = gql.as_token(await token_for(runtime, customer))
    new_phone = unique_phone()

    # when
    started = await me.execute(START_PHONE_CHANGE, {"input": {"newPhone": new_phone}})
    code = await sms_code_for(runtime, new_phone)
    confirmed = await me.execute(
        CONFIRM_PHONE_CHANGE, {"input": {"challengeId": started["startPhoneChange"]["challenge"]["id"], "code": code}}
    )

    # then
    assert confirmed["confirmPhoneChange"]["customer"]["phone"] == new_phone
    assert (await stored(runtime, customer.id)).phone == new_phone
    assert (await last_sms_to(runtime, customer.phone))["kind"] == "PHONE_CHANGED"
    signed_in = await gql.execute(SIGN_IN, {"input": {"phone": new_phone, "password": DEFAULT_PASSWORD}})
    assert signed_in["signIn"]["errors"] == []


@pytest.mark.parametrize(
    ("new_phone", "code"),
    [("+7 800 555 35 35", "INVALID_PHONE"), ("current", "SAME_AS_CURRENT")],
)
async def test_an_unusable_new_phone_is_refused(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, new_phone: str, code: str
) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    neighbour = await create_customer(runtime.db, now=clock.now())
    typed = {"current": customer.phone, "taken": neighbour.phone}.get(new_phone, new_phone)

    data = await gql.as_token(await token_for(runtime, customer)).execute(
        START_PHONE_CHANGE, {"input": {"newPhone": typed}}
    )

    assert data["startPhoneChange"]["challenge"] is None
    assert error_codes_of(data["startPhoneChange"]) == [code]
    assert data["startPhoneChange"]["errors"][0]["field"] == ["input", "newPhone"]


async def test_an_invalid_email_is_refused(gql: GraphQLClient, runtime: Runtime, clock: FrozenClock) -> None:
    customer = await create_customer(runtime.db, now=clock.now())

    data = await gql.as_token(await token_for(runtime, customer)).execute(
        START_EMAIL_CHANGE, {"input": {"newEmail": "ivanov@mail"}}
    )

    assert error_codes_of(data["startEmailChange"]) == ["INVALID_EMAIL"]


async def test_changing_the_password_ends_every_other_session(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given
    customer = await create_customer(runtime.db, now=clock.now())
    this_device = gql.as_token(await token_for(runtime, customer))
    other_device = gql.as_token(await token_for(runtime, customer))

    # when
    changed = await this_device.execute(
        CHANGE_PASSWORD,
        {
            "input": {
                "currentPassword": DEFAULT_PASSWORD,
                "newPassword": "Changed2027",
                "newPasswordConfirmation": "Changed2027",
            }
        },
    )

    # then
    assert changed["changePassword"]["errors"] == []
    assert (await this_device.execute(ME))["me"]["phone"] == customer.phone
    assert await other_device.error_codes(ME) == ["UNAUTHENTICATED"]
    old = await gql.execute(SIGN_IN, {"input": {"phone": customer.phone, "password": DEFAULT_PASSWORD}})
    assert error_codes_of(old["signIn"]) == ["INVALID_CREDENTIALS"]


@pytest.mark.parametrize(
    ("current", "new", "again", "codes"),
    [
        ("Wrong2026pass", "Changed2027", "Changed2027", ["INVALID_CREDENTIALS"]),
        (DEFAULT_PASSWORD, "changed", "changed", ["PASSWORD_TOO_WEAK"]),
        (DEFAULT_PASSWORD, "Changed2027", "Changed2028", ["PASSWORDS_DO_NOT_MATCH"]),
    ],
)
async def test_a_bad_password_change_changes_nothing(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, *, current: str, new: str, again: str, codes: list[str]
) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    other_device = gql.as_token(await token_for(runtime, customer))

    data = await gql.as_token(await token_for(runtime, customer)).execute(
        CHANGE_PASSWORD, {"input": {"currentPassword": current, "newPassword": new, "newPasswordConfirmation": again}}
    )

    assert error_codes_of(data["changePassword"]) == codes
    assert (await stored(runtime, customer.id)).password_hash == customer.password_hash
    assert (await other_device.execute(ME))["me"]["phone"] == customer.phone


async def test_five_wrong_current_passwords_lock_the_password_change_for_15_minutes(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given
    customer = await create_customer(runtime.db, now=clock.now())
    me = gql.as_token(await token_for(runtime, customer))

    def change(current: str) -> dict[str, Any]:
        return {
            "input": {
                "currentPassword": current,
                "newPassword": "Changed2027",
                "newPasswordConfirmation": "Changed2027",
            }
        }

    failures = [
        error_codes_of((await me.execute(CHANGE_PASSWORD, change(f"Guess{n}pass")))["changePassword"]) for n in range(5)
    ]

    # when: even the right one
    locked = (await me.execute(CHANGE_PASSWORD, change(DEFAULT_PASSWORD)))["changePassword"]
    clock.advance(timedelta(minutes=15))
    me = gql.as_token(await token_for(runtime, customer))  # the access token has expired meanwhile
    unlocked = (await me.execute(CHANGE_PASSWORD, change(DEFAULT_PASSWORD)))["changePassword"]

    # then
    assert failures == [["INVALID_CREDENTIALS"]] * 4 + [["TEMPORARILY_LOCKED"]]
    assert error_codes_of(locked) == ["TEMPORARILY_LOCKED"]
    assert "12:15" in locked["errors"][0]["message"]  # Moscow time of the end of the lock
    assert unlocked["errors"] == []


# ---------------------------------------------------------------- who may do what

Viewer = Callable[[GraphQLClient, Runtime, Customer], Awaitable[GraphQLClient]]


async def anonymous(gql: GraphQLClient, runtime: Runtime, owner: Customer) -> GraphQLClient:
    return gql.as_token(None)


def signed_in_as(role: Role) -> Viewer:
    async def viewer(gql: GraphQLClient, runtime: Runtime, owner: Customer) -> GraphQLClient:
        someone = await create_customer(runtime.db, now=runtime.clock.now(), role=role)
        return gql.as_token(await token_for(runtime, someone))

    return viewer


async def the_owner(gql: GraphQLClient, runtime: Runtime, owner: Customer) -> GraphQLClient:
    return gql.as_token(await token_for(runtime, owner))


NOT_THE_OWNER = [
    pytest.param(signed_in_as(Role.CUSTOMER), id="another-customer"),
    pytest.param(signed_in_as(Role.OPERATOR), id="operator"),
    pytest.param(signed_in_as(Role.ANALYST), id="analyst"),
    pytest.param(signed_in_as(Role.ADMIN), id="admin"),
]


@pytest.mark.parametrize(
    "document",
    [
        ME,
        START_PHONE_CHANGE.replace("$input: StartPhoneChangeInput!", "").replace(
            "input: $input", 'input: {newPhone: "+79990000000"}'
        ),
        CONFIRM_PHONE_CHANGE.replace("$input: ConfirmPhoneChangeInput!", "").replace(
            "input: $input", 'input: {challengeId: "x", code: "000000"}'
        ),
        START_EMAIL_CHANGE.replace("$input: StartEmailChangeInput!", "").replace(
            "input: $input", 'input: {newEmail: "a@b.ru"}'
        ),
        CHANGE_PASSWORD.replace("$input: ChangePasswordInput!", "").replace(
            "input: $input", 'input: {currentPassword: "a", newPassword: "b", newPasswordConfirmation: "b"}'
        ),
    ],
    ids=["me", "startPhoneChange", "confirmPhoneChange", "startEmailChange", "changePassword"],
)
async def test_anonymous_users_are_unauthenticated(gql: GraphQLClient, runtime: Runtime, document: str) -> None:
    challenges_before = await count_rows(runtime, "one_time_code")

    assert await gql.error_codes(document.replace("mutation()", "mutation")) == ["UNAUTHENTICATED"]
    assert await count_rows(runtime, "one_time_code") == challenges_before


@pytest.mark.parametrize("role", list(Role))
async def test_me_is_whoever_signed_in(gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, role: Role) -> None:
    user = await create_customer(runtime.db, now=clock.now(), role=role, email="ivanov@mail.ru")

    data = await gql.as_token(await token_for(runtime, user)).execute(ME)

    assert data["me"]["phone"] == user.phone  # never masked for oneself
    assert data["me"]["email"] == "ivanov@mail.ru"
    assert data["me"]["role"] == role.value
    assert data["me"]["emailVerified"] is True


@pytest.mark.parametrize("viewer", NOT_THE_OWNER)
async def test_only_the_owner_confirms_their_phone_change(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, viewer: Viewer
) -> None:
    # given: the owner started a change
    owner = await create_customer(runtime.db, now=clock.now())
    owner_client = gql.as_token(await token_for(runtime, owner))
    new_phone = unique_phone()
    started = await owner_client.execute(START_PHONE_CHANGE, {"input": {"newPhone": new_phone}})
    challenge_id = started["startPhoneChange"]["challenge"]["id"]
    code = await sms_code_for(runtime, new_phone)
    intruder = await viewer(gql, runtime, owner)

    # when
    attempt = await intruder.execute(CONFIRM_PHONE_CHANGE, {"input": {"challengeId": challenge_id, "code": code}})
    missing = await intruder.execute(
        CONFIRM_PHONE_CHANGE, {"input": {"challengeId": "6f1c0b56-0000-4000-8000-000000000000", "code": code}}
    )

    # then: exactly like a missing challenge, and the owner can still finish
    assert attempt["confirmPhoneChange"]["errors"] == missing["confirmPhoneChange"]["errors"]
    assert error_codes_of(attempt["confirmPhoneChange"]) == ["INVALID_CODE"]
    assert (await stored(runtime, owner.id)).phone == owner.phone
    done = await owner_client.execute(CONFIRM_PHONE_CHANGE, {"input": {"challengeId": challenge_id, "code": code}})
    assert done["confirmPhoneChange"]["customer"]["phone"] == new_phone


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        pytest.param(anonymous, None, id="anonymous"),
        pytest.param(signed_in_as(Role.CUSTOMER), None, id="another-customer"),
        pytest.param(signed_in_as(Role.OPERATOR), "+79215550001", id="operator"),
        pytest.param(signed_in_as(Role.ANALYST), "+7921***0001", id="analyst-masked"),
        pytest.param(signed_in_as(Role.ADMIN), "+79215550001", id="admin"),
        pytest.param(the_owner, "+79215550001", id="owner"),
    ],
)
async def test_a_customer_node_is_seen_by_its_owner_and_staff_only(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, viewer: Viewer, expected: str | None
) -> None:
    owner = await create_customer(runtime.db, now=clock.now(), phone="+79215550001", email="ivanov@mail.ru")
    client = await viewer(gql, runtime, owner)

    data = await client.execute(NODE, {"id": to_base64("Customer", owner.id)})

    if expected is None:
        assert data["node"] is None
    else:
        assert data["node"]["phone"] == expected
        assert data["node"]["email"] == ("i***@mail.ru" if "*" in expected else "ivanov@mail.ru")

"""Registration by phone: the input is checked, an SMS code confirms the phone, the new customer is signed in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from models.enums import Role
from services.platform.clock import FrozenClock
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.factories import DEFAULT_PASSWORD, create_customer, unique_phone
from tests.support.graphql import GraphQLClient
from tests.support.identity import (
    CONFIRM_REGISTRATION,
    ME,
    START_REGISTRATION,
    count_rows,
    error_codes_of,
    last_sms_to,
    register,
    sms_code_for,
)

RESEND_CODE = """
mutation($input: ResendCodeInput!) {
  resendCode(input: $input) { challenge { id expiresAt resendAvailableAt } errors { field code message } }
}"""


def registration_input(phone: str, /, **overrides: Any) -> dict[str, Any]:
    return {
        "input": {
            "phone": phone,
            "password": DEFAULT_PASSWORD,
            "passwordConfirmation": DEFAULT_PASSWORD,
            "privacyPolicyAccepted": True,
            **overrides,
        }
    }


async def start(gql: GraphQLClient, phone: str) -> str:
    data = await gql.execute(START_REGISTRATION, registration_input(phone))
    challenge_id: str = data["startRegistration"]["challenge"]["id"]
    return challenge_id


async def confirm(gql: GraphQLClient, challenge_id: str, code: str) -> dict[str, Any]:
    data = await gql.execute(CONFIRM_REGISTRATION, {"input": {"challengeId": challenge_id, "code": code}})
    payload: dict[str, Any] = data["confirmRegistration"]
    return payload


async def test_a_new_customer_registers_with_the_sms_code_and_is_signed_in(
    gql: GraphQLClient, runtime: Runtime
) -> None:
    # given
    typed = "+7 (921) 555 12 34"

    # when
    session = await register(gql, runtime, phone=typed)
    me = await gql.as_token(session["accessToken"]).execute(ME)

    # then
    assert session["customer"]["phone"] == "+79215551234"
    assert me["me"]["phone"] == "+79215551234"
    assert me["me"]["role"] == "CUSTOMER"
    assert session["refreshToken"]


async def test_the_code_comes_from_energosbyt_and_is_stored_only_hashed(gql: GraphQLClient, runtime: Runtime) -> None:
    phone = unique_phone()

    await start(gql, phone)
    sms = await last_sms_to(runtime, phone)
    code = await sms_code_for(runtime, phone)

    assert sms["sender"] == "EnergoSbyt"
    assert sms["kind"] == "REGISTRATION_CODE"
    async with runtime.db.session() as session:
        from sqlalchemy import text

        stored = (
            await run(session, text("SELECT code_hash FROM one_time_code WHERE phone = :p"), {"p": phone})
        ).scalar_one()
    assert code not in stored
    assert len(stored) == 64


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"phone": "+7 495 123 45 67"}, "INVALID_PHONE", "phone"),
        ({"phone": "12345"}, "INVALID_PHONE", "phone"),
        ({"password": "short1", "passwordConfirmation": "short1"}, "PASSWORD_TOO_WEAK", "password"),
        ({"password": "onlyletters", "passwordConfirmation": "onlyletters"}, "PASSWORD_TOO_WEAK", "password"),
        ({"passwordConfirmation": "Secret2026pasz"}, "PASSWORDS_DO_NOT_MATCH", "passwordConfirmation"),
        ({"privacyPolicyAccepted": False}, "PRIVACY_POLICY_NOT_ACCEPTED", "privacyPolicyAccepted"),
    ],
)
async def test_bad_registration_input_is_refused_and_nothing_is_sent(
    gql: GraphQLClient, runtime: Runtime, overrides: dict[str, Any], code: str, field: str
) -> None:
    # given
    challenges_before = await count_rows(runtime, "one_time_code")

    # when
    data = await gql.execute(START_REGISTRATION, registration_input(unique_phone(), **overrides))

    # then
    payload = data["startRegistration"]
    assert payload["challenge"] is None
    assert error_codes_of(payload) == [code]
    assert payload["errors"][0]["field"] == ["input", field]
    assert payload["errors"][0]["message"]
    assert await count_rows(runtime, "one_time_code") == challenges_before
    assert await count_rows(runtime, "outbound_message WHERE status = 'PENDING'") == 0


async def test_a_registered_phone_cannot_register_again(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: the answer looks like a free phone's (issue 13), but no code exists that completes it
    existing = await create_customer(runtime.db, now=clock.now())
    customers_before = await count_rows(runtime, "customer")
    challenge_id = await start(gql, "8" + existing.phone[2:])
    notice = await last_sms_to(runtime, existing.phone)

    # when: every 6-digit code a client might try
    answers = [error_codes_of(await confirm(gql, challenge_id, f"{n:06d}")) for n in range(5)]

    # then
    assert notice["kind"] == "PHONE_ALREADY_REGISTERED_NOTICE"
    assert answers == [["INVALID_CODE"]] * 4 + [["TOO_MANY_ATTEMPTS"]]
    assert await count_rows(runtime, "customer") == customers_before


async def test_a_wrong_code_is_refused_and_creates_no_customer(gql: GraphQLClient, runtime: Runtime) -> None:
    phone = unique_phone()
    challenge_id = await start(gql, phone)
    code = await sms_code_for(runtime, phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    customers_before = await count_rows(runtime, "customer")

    payload = await confirm(gql, challenge_id, wrong)

    assert payload["session"] is None
    assert error_codes_of(payload) == ["INVALID_CODE"]
    assert await count_rows(runtime, "customer") == customers_before


async def test_an_expired_code_is_refused(gql: GraphQLClient, runtime: Runtime, clock: FrozenClock) -> None:
    phone = unique_phone()
    challenge_id = await start(gql, phone)
    code = await sms_code_for(runtime, phone)
    customers_before = await count_rows(runtime, "customer")
    clock.advance(timedelta(minutes=10, seconds=1))

    payload = await confirm(gql, challenge_id, code)

    assert error_codes_of(payload) == ["CODE_EXPIRED"]
    assert await count_rows(runtime, "customer") == customers_before


async def test_five_wrong_codes_kill_the_challenge_even_for_the_right_code(
    gql: GraphQLClient, runtime: Runtime
) -> None:
    # given
    phone = unique_phone()
    challenge_id = await start(gql, phone)
    code = await sms_code_for(runtime, phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    customers_before = await count_rows(runtime, "customer")

    # when
    answers = [error_codes_of(await confirm(gql, challenge_id, wrong)) for _ in range(5)]
    right = await confirm(gql, challenge_id, code)

    # then
    assert answers == [["INVALID_CODE"]] * 4 + [["TOO_MANY_ATTEMPTS"]]
    assert error_codes_of(right) == ["TOO_MANY_ATTEMPTS"]
    assert await count_rows(runtime, "customer") == customers_before


async def test_a_resent_code_replaces_the_old_one_after_60_seconds(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given
    phone = unique_phone()
    challenge_id = await start(gql, phone)
    old_code = await sms_code_for(runtime, phone)

    # when
    too_early = await gql.execute(RESEND_CODE, {"input": {"challengeId": challenge_id}})
    clock.advance(timedelta(seconds=60))
    resent = await gql.execute(RESEND_CODE, {"input": {"challengeId": challenge_id}})
    new_code = await sms_code_for(runtime, phone)

    # then
    assert error_codes_of(too_early["resendCode"]) == ["RESEND_TOO_EARLY"]
    assert resent["resendCode"]["challenge"]["id"] == challenge_id
    if new_code != old_code:
        assert error_codes_of(await confirm(gql, challenge_id, old_code)) == ["INVALID_CODE"]
    assert (await confirm(gql, challenge_id, new_code))["session"]["customer"]["phone"] == phone


async def test_at_most_ten_codes_a_day_go_to_one_phone(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given
    phone = unique_phone()
    challenge_id = await start(gql, phone)
    for _ in range(9):
        clock.advance(timedelta(seconds=61))
        resent = await gql.execute(RESEND_CODE, {"input": {"challengeId": challenge_id}})
        assert resent["resendCode"]["errors"] == []
    clock.advance(timedelta(seconds=61))
    sms_before = await count_rows(runtime, "outbound_message")

    # when
    eleventh = await gql.execute(RESEND_CODE, {"input": {"challengeId": challenge_id}})
    another = await gql.execute(START_REGISTRATION, registration_input(phone))

    # then
    assert error_codes_of(eleventh["resendCode"]) == ["TOO_MANY_ATTEMPTS"]
    assert error_codes_of(another["startRegistration"]) == ["TOO_MANY_ATTEMPTS"]
    assert await count_rows(runtime, "outbound_message") == sms_before
    clock.advance(timedelta(days=1))
    assert (await gql.execute(START_REGISTRATION, registration_input(phone)))["startRegistration"]["errors"] == []


async def test_codes_count_on_the_day_they_are_sent_whichever_challenge_they_renew(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: nine codes today, renewing a challenge started yesterday
    phone = unique_phone()
    yesterdays = await start(gql, phone)
    clock.advance(timedelta(hours=23))
    for _ in range(9):
        clock.advance(timedelta(seconds=61))
        assert (await gql.execute(RESEND_CODE, {"input": {"challengeId": yesterdays}}))["resendCode"]["errors"] == []
    clock.advance(timedelta(minutes=50))

    # when: the challenge that carried them is more than a day old
    tenth = await gql.execute(START_REGISTRATION, registration_input(phone))
    eleventh = await gql.execute(START_REGISTRATION, registration_input(phone))

    # then
    assert tenth["startRegistration"]["errors"] == []
    assert error_codes_of(eleventh["startRegistration"]) == ["TOO_MANY_ATTEMPTS"]


async def test_a_day_old_challenge_gets_no_more_codes(gql: GraphQLClient, runtime: Runtime, clock: FrozenClock) -> None:
    # given: a challenge abandoned yesterday, outside the last day's count
    phone = unique_phone()
    challenge_id = await start(gql, phone)
    clock.advance(timedelta(days=1))
    sms_before = await count_rows(runtime, "outbound_message")

    # when
    resent = await gql.execute(RESEND_CODE, {"input": {"challengeId": challenge_id}})

    # then
    assert error_codes_of(resent["resendCode"]) == ["NOT_FOUND"]
    assert await count_rows(runtime, "outbound_message") == sms_before


async def test_resending_an_unknown_challenge_is_not_found(gql: GraphQLClient) -> None:
    data = await gql.execute(RESEND_CODE, {"input": {"challengeId": "00000000-0000-0000-0000-000000000000"}})

    assert error_codes_of(data["resendCode"]) == ["NOT_FOUND"]


async def test_a_staff_member_is_created_with_the_same_rules(runtime: Runtime, clock: FrozenClock) -> None:
    from services.errors import DomainError
    from services.identity.staff import create_staff_member

    member_id = await create_staff_member(
        db=runtime.db,
        clock=clock,
        phone="8 (921) 700-00-01",
        role="OPERATOR",
        password="Operator2026",
        full_name="Ольга",
    )
    with pytest.raises(DomainError) as taken:
        await create_staff_member(
            db=runtime.db, clock=clock, phone="+79217000001", role="ADMIN", password="Operator2026", full_name=None
        )
    with pytest.raises(DomainError) as weak:
        await create_staff_member(
            db=runtime.db, clock=clock, phone=unique_phone(), role="ADMIN", password="x", full_name=None
        )

    async with runtime.db.session() as session:
        from models import Customer

        member = await session.get(Customer, member_id)
    assert member is not None
    assert member.role is Role.OPERATOR
    assert member.phone == "+79217000001"
    assert [p.code for p in taken.value.problems] == ["PHONE_ALREADY_REGISTERED"]
    assert [p.code for p in weak.value.problems] == ["PASSWORD_TOO_WEAK"]

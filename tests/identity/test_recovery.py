"""Password recovery by an SMS code: the new password works, the old one and every old session do not."""

from __future__ import annotations

from typing import Any

from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.support.factories import DEFAULT_PASSWORD, create_customer, unique_phone
from tests.support.graphql import GraphQLClient
from tests.support.identity import ME, SIGN_IN, error_codes_of, sign_in_as, sms_code_for, sms_messages

START_RECOVERY = """
mutation($input: StartPasswordRecoveryInput!) {
  startPasswordRecovery(input: $input) { challenge { id expiresAt resendAvailableAt } errors { code message } }
}"""

COMPLETE_RECOVERY = """
mutation($input: CompletePasswordRecoveryInput!) {
  completePasswordRecovery(input: $input) {
    session { accessToken customer { phone } }
    errors { field code message }
  }
}"""

NEW_PASSWORD = "Fresh2027pass"


def completion(challenge_id: str, code: str, password: str = NEW_PASSWORD, again: str | None = None) -> dict[str, Any]:
    return {
        "input": {
            "challengeId": challenge_id,
            "code": code,
            "newPassword": password,
            "newPasswordConfirmation": again if again is not None else password,
        }
    }


async def test_a_customer_recovers_access_with_the_sms_code(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: signed in on another device
    customer = await create_customer(runtime.db, now=clock.now())
    other_device = await sign_in_as(runtime, customer)

    # when
    started = await gql.execute(START_RECOVERY, {"input": {"phone": customer.phone}})
    challenge_id = started["startPasswordRecovery"]["challenge"]["id"]
    code = await sms_code_for(runtime, customer.phone)
    completed = await gql.execute(COMPLETE_RECOVERY, completion(challenge_id, code))

    # then
    session = completed["completePasswordRecovery"]["session"]
    assert (await gql.as_token(session["accessToken"]).execute(ME))["me"]["phone"] == customer.phone
    assert await gql.as_token(other_device.access_token).error_codes(ME) == ["UNAUTHENTICATED"]
    old = await gql.execute(SIGN_IN, {"input": {"phone": customer.phone, "password": DEFAULT_PASSWORD}})
    new = await gql.execute(SIGN_IN, {"input": {"phone": customer.phone, "password": NEW_PASSWORD}})
    assert error_codes_of(old["signIn"]) == ["INVALID_CREDENTIALS"]
    assert new["signIn"]["errors"] == []


async def test_recovery_answers_the_same_for_an_unregistered_phone(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    stranger = unique_phone()

    registered = await gql.execute(START_RECOVERY, {"input": {"phone": customer.phone}})
    unregistered = await gql.execute(START_RECOVERY, {"input": {"phone": stranger}})
    await sms_code_for(runtime, customer.phone)

    def shape(data: dict[str, Any]) -> dict[str, Any]:
        payload = data["startPasswordRecovery"]
        return {
            "errors": payload["errors"],
            "fields": sorted(payload["challenge"]),
            "expires": payload["challenge"]["expiresAt"],
        }

    assert shape(registered) == shape(unregistered)
    assert all(message["to"] != stranger for message in sms_messages(runtime))
    guessed = await gql.execute(
        COMPLETE_RECOVERY, completion(unregistered["startPasswordRecovery"]["challenge"]["id"], "000000")
    )
    assert error_codes_of(guessed["completePasswordRecovery"]) == ["INVALID_CODE"]


async def test_a_weak_or_mismatched_new_password_is_refused_and_the_code_stays_usable(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    started = await gql.execute(START_RECOVERY, {"input": {"phone": customer.phone}})
    challenge_id = started["startPasswordRecovery"]["challenge"]["id"]
    code = await sms_code_for(runtime, customer.phone)

    weak = await gql.execute(COMPLETE_RECOVERY, completion(challenge_id, code, "12345678"))
    mismatched = await gql.execute(COMPLETE_RECOVERY, completion(challenge_id, code, again="Fresh2027pas"))
    fine = await gql.execute(COMPLETE_RECOVERY, completion(challenge_id, code))

    assert error_codes_of(weak["completePasswordRecovery"]) == ["PASSWORD_TOO_WEAK"]
    assert error_codes_of(mismatched["completePasswordRecovery"]) == ["PASSWORDS_DO_NOT_MATCH"]
    assert fine["completePasswordRecovery"]["errors"] == []


async def test_a_malformed_phone_is_refused(gql: GraphQLClient) -> None:
    data = await gql.execute(START_RECOVERY, {"input": {"phone": "abc"}})

    assert error_codes_of(data["startPasswordRecovery"]) == ["INVALID_PHONE"]

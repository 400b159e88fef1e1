"""Sign-in, refresh with rotation, reuse detection, sign-out, and lockouts against password guessing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from models.enums import Role
from services.identity import signin
from services.identity.sessions import REUSE_GRACE, ClientInfo
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.support.factories import DEFAULT_PASSWORD, create_customer, unique_phone
from tests.support.graphql import GraphQLClient
from tests.support.identity import ME, SIGN_IN, count_rows, error_codes_of

REFRESH = """
mutation($input: RefreshSessionInput!) {
  refreshSession(input: $input) {
    session { accessToken refreshToken customer { phone } }
    errors { field code message }
  }
}"""

SIGN_OUT = """
mutation($input: SignOutInput!) { signOut(input: $input) { errors { code message } } }"""


async def sign_in(gql: GraphQLClient, phone: str, password: str = DEFAULT_PASSWORD) -> dict[str, Any]:
    data = await gql.execute(SIGN_IN, {"input": {"phone": phone, "password": password}})
    payload: dict[str, Any] = data["signIn"]
    return payload


async def refresh(gql: GraphQLClient, token: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql.execute(REFRESH, {"input": {"refreshToken": token}}))["refreshSession"]
    return payload


async def test_a_customer_signs_in_with_phone_and_password(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    customer = await create_customer(runtime.db, now=clock.now())

    payload = await sign_in(gql, "8" + customer.phone[2:])
    me = await gql.as_token(payload["session"]["accessToken"]).execute(ME)

    assert payload["errors"] == []
    assert payload["session"]["accessTokenExpiresAt"] == (clock.now() + timedelta(minutes=15)).isoformat()
    assert me["me"]["phone"] == customer.phone


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ANALYST, Role.ADMIN])
async def test_staff_sign_in_the_same_way_and_carry_their_role(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, role: Role
) -> None:
    member = await create_customer(runtime.db, now=clock.now(), role=role)

    payload = await sign_in(gql, member.phone)

    assert payload["session"]["customer"]["role"] == role.value


async def test_refreshing_rotates_the_refresh_token(gql: GraphQLClient, runtime: Runtime, clock: FrozenClock) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    first = (await sign_in(gql, customer.phone))["session"]
    clock.advance(timedelta(minutes=20))

    refreshed = await refresh(gql, first["refreshToken"])

    assert refreshed["errors"] == []
    assert refreshed["session"]["refreshToken"] != first["refreshToken"]
    assert (await gql.as_token(refreshed["session"]["accessToken"]).execute(ME))["me"]["phone"] == customer.phone
    assert await gql.as_token(first["accessToken"]).error_codes(ME) == ["UNAUTHENTICATED"]  # expired by now


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: the token was rotated, and its successor is in use
    customer = await create_customer(runtime.db, now=clock.now())
    stolen = (await sign_in(gql, customer.phone))["session"]["refreshToken"]
    successor = (await refresh(gql, stolen))["session"]
    clock.advance(REUSE_GRACE + timedelta(seconds=1))

    # when: the old one comes back, after the reuse grace
    reused = await refresh(gql, stolen)

    # then: the family is dead, the successor's tokens too
    assert error_codes_of(reused) == ["INVALID_REFRESH_TOKEN"]
    assert error_codes_of(await refresh(gql, successor["refreshToken"])) == ["INVALID_REFRESH_TOKEN"]
    assert await gql.as_token(successor["accessToken"]).error_codes(ME) == ["UNAUTHENTICATED"]


async def test_a_refresh_token_expires_after_30_days(gql: GraphQLClient, runtime: Runtime, clock: FrozenClock) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    token = (await sign_in(gql, customer.phone))["session"]["refreshToken"]
    clock.advance(timedelta(days=30))

    assert error_codes_of(await refresh(gql, token)) == ["INVALID_REFRESH_TOKEN"]
    assert error_codes_of(await refresh(gql, "made-up")) == ["INVALID_REFRESH_TOKEN"]


async def test_signing_out_ends_that_session_only(gql: GraphQLClient, runtime: Runtime, clock: FrozenClock) -> None:
    # given: two devices
    customer = await create_customer(runtime.db, now=clock.now())
    phone_app = (await sign_in(gql, customer.phone))["session"]
    laptop = (await sign_in(gql, customer.phone))["session"]
    assert (await gql.as_token(phone_app["accessToken"]).execute(ME))["me"]

    # when
    signed_out = await gql.execute(SIGN_OUT, {"input": {"refreshToken": phone_app["refreshToken"]}})

    # then
    assert signed_out["signOut"]["errors"] == []
    assert await gql.as_token(phone_app["accessToken"]).error_codes(ME) == ["UNAUTHENTICATED"]
    assert error_codes_of(await refresh(gql, phone_app["refreshToken"])) == ["INVALID_REFRESH_TOKEN"]
    assert (await gql.as_token(laptop["accessToken"]).execute(ME))["me"]["phone"] == customer.phone


async def test_signing_out_everywhere_ends_every_session(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    phone_app = (await sign_in(gql, customer.phone))["session"]
    laptop = (await sign_in(gql, customer.phone))["session"]

    await gql.execute(SIGN_OUT, {"input": {"refreshToken": phone_app["refreshToken"], "everywhere": True}})

    assert await gql.as_token(laptop["accessToken"]).error_codes(ME) == ["UNAUTHENTICATED"]
    assert error_codes_of(await refresh(gql, laptop["refreshToken"])) == ["INVALID_REFRESH_TOKEN"]


async def test_a_wrong_password_and_an_unknown_phone_fail_alike(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    sessions_before = await count_rows(runtime, "auth_session")

    wrong_password = await sign_in(gql, customer.phone, "Wrong2026pass")
    unknown_phone = await sign_in(gql, unique_phone())

    assert wrong_password["errors"] == unknown_phone["errors"]
    assert error_codes_of(wrong_password) == ["INVALID_CREDENTIALS"]
    assert await count_rows(runtime, "auth_session") == sessions_before


async def test_a_malformed_phone_is_named_as_such(gql: GraphQLClient) -> None:
    assert error_codes_of(await sign_in(gql, "+1 555 0100")) == ["INVALID_PHONE"]


async def test_five_failures_lock_the_phone_for_15_minutes(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given
    customer = await create_customer(runtime.db, now=clock.now())
    failures = [error_codes_of(await sign_in(gql, customer.phone, "Wrong2026pass")) for _ in range(5)]

    # when: even the right password
    locked = await sign_in(gql, customer.phone)
    clock.advance(timedelta(minutes=15))
    unlocked = await sign_in(gql, customer.phone)

    # then
    assert failures == [["INVALID_CREDENTIALS"]] * 4 + [["TEMPORARILY_LOCKED"]]
    assert error_codes_of(locked) == ["TEMPORARILY_LOCKED"]
    assert "12:15" in locked["errors"][0]["message"]  # Moscow time of the end of the lock
    assert unlocked["errors"] == []


async def test_many_failures_from_one_address_lock_the_address(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: 30 failures spread over many phones, so no phone is locked (25 counted up front: each costs argon2)
    customer = await create_customer(runtime.db, now=clock.now())
    for _ in range(25):
        await runtime.rate_limiter.hit("signin-fail:ip:127.0.0.1", window=signin.ADDRESS_WINDOW, now=clock.now())
    for _ in range(5):
        await sign_in(gql, unique_phone(), "Wrong2026pass")

    # when
    answer = await sign_in(gql, customer.phone)

    # then
    assert error_codes_of(answer) == ["TEMPORARILY_LOCKED"]
    clock.advance(timedelta(hours=1))
    assert (await sign_in(gql, customer.phone))["errors"] == []


async def test_a_successful_sign_in_does_not_count_against_its_address(runtime: Runtime, clock: FrozenClock) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    client = ClientInfo(ip="192.0.2.7")

    await signin.sign_in(runtime, phone=customer.phone, password=DEFAULT_PASSWORD, client=client)

    failures = await runtime.rate_limiter.count(
        "signin-fail:ip:192.0.2.7", window=signin.ADDRESS_WINDOW, now=clock.now()
    )
    assert failures == 0

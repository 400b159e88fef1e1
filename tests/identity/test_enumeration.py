"""Registration and phone change do not tell whether a phone has a cabinet: same answer, same time, same limits.

Issue 13 saw `PHONE_ALREADY_REGISTERED` at once (10 ms against 356 ms for a free phone), before any rate limit and
still after the address's SMS quota was spent. Now the registered phone gets an SMS telling its owner how to get
back in, and the client gets what a free phone gets.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from models import Customer
from services.identity.codes import SEND_WINDOW, SENDS_PER_ADDRESS
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.support.factories import DEFAULT_PASSWORD, create_customer, unique_phone
from tests.support.graphql import GraphQLClient
from tests.support.identity import START_REGISTRATION, count_rows, error_codes_of, last_sms_to, token_for

START_PHONE_CHANGE = """
mutation($input: StartPhoneChangeInput!) {
  startPhoneChange(input: $input) { challenge { id expiresAt resendAvailableAt } errors { field code message } }
}"""
CONFIRM_PHONE_CHANGE = """
mutation($input: ConfirmPhoneChangeInput!) {
  confirmPhoneChange(input: $input) { customer { phone } errors { field code message } }
}"""
PHONE_REGISTERED_KIND = "PHONE_ALREADY_REGISTERED_NOTICE"
START_RECOVERY = """
mutation($input: StartPasswordRecoveryInput!) { startPasswordRecovery(input: $input) { errors { code } } }"""


def registration(phone: str) -> dict[str, Any]:
    return {
        "input": {
            "phone": phone,
            "password": DEFAULT_PASSWORD,
            "passwordConfirmation": DEFAULT_PASSWORD,
            "privacyPolicyAccepted": True,
        }
    }


def without_id(payload: dict[str, Any]) -> dict[str, Any]:
    """The answer with the challenge's random id blanked out: everything else must be equal."""
    challenge = payload.get("challenge")
    if challenge is None:
        return payload
    return {**payload, "challenge": {**challenge, "id": "…"}}


async def test_registration_answers_a_registered_phone_like_a_free_one(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given
    registered = await create_customer(runtime.db, now=clock.now())
    free = unique_phone()
    customers_before = await count_rows(runtime, "customer")

    # when
    for_registered = (await gql.post(START_REGISTRATION, registration(registered.phone)))["data"]["startRegistration"]
    for_free = (await gql.post(START_REGISTRATION, registration(free)))["data"]["startRegistration"]
    notice = await last_sms_to(runtime, registered.phone)
    code_sms = await last_sms_to(runtime, free)

    # then: the client cannot tell them apart; the owner hears it is registered and how to get back in, no code
    assert for_registered["errors"] == []
    assert for_registered["challenge"]["id"]
    assert without_id(for_registered) == without_id(for_free)
    assert notice["kind"] == PHONE_REGISTERED_KIND
    assert "уже зарегистрирован" in notice["text"]
    assert "восстановите доступ" in notice["text"]
    assert re.search(r"\d{4,}", notice["text"]) is None
    assert code_sms["kind"] == "REGISTRATION_CODE"
    assert await count_rows(runtime, "customer") == customers_before


async def test_phone_change_answers_another_customers_phone_like_a_free_one(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given
    customer = await create_customer(runtime.db, now=clock.now())
    neighbour = await create_customer(runtime.db, now=clock.now())
    me = gql.as_token(await token_for(runtime, customer))

    # when
    taken = (await me.post(START_PHONE_CHANGE, {"input": {"newPhone": neighbour.phone}}))["data"]["startPhoneChange"]
    free = (await me.post(START_PHONE_CHANGE, {"input": {"newPhone": unique_phone()}}))["data"]["startPhoneChange"]
    notice = await last_sms_to(runtime, neighbour.phone)
    guesses = [
        error_codes_of(
            (await me.execute(CONFIRM_PHONE_CHANGE, {"input": {"challengeId": taken["challenge"]["id"], "code": c}}))[
                "confirmPhoneChange"
            ]
        )
        for c in ("000000", "123456")
    ]

    # then: same answer; the neighbour hears of it; no code can move their phone to this customer
    assert without_id(taken) == without_id(free)
    assert taken["errors"] == []
    assert notice["kind"] == PHONE_REGISTERED_KIND
    assert guesses == [["INVALID_CODE"], ["INVALID_CODE"]]


async def test_after_the_address_quota_registered_and_free_phones_get_the_same_refusal(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: this client address has spent its hourly SMS quota (on recovery codes, which count the same)
    registered = await create_customer(runtime.db, now=clock.now())
    for _ in range(SENDS_PER_ADDRESS):
        spent = await gql.execute(START_RECOVERY, {"input": {"phone": unique_phone()}})
        assert spent["startPasswordRecovery"]["errors"] == []
    messages_before = await count_rows(runtime, "outbound_message")

    # when
    for_registered = (await gql.post(START_REGISTRATION, registration(registered.phone)))["data"]["startRegistration"]
    for_free = (await gql.post(START_REGISTRATION, registration(unique_phone())))["data"]["startRegistration"]

    # then
    assert error_codes_of(for_registered) == ["TOO_MANY_ATTEMPTS"]
    assert for_registered == for_free
    assert await count_rows(runtime, "outbound_message") == messages_before


async def timing_ratio(
    clock: FrozenClock,
    registered: Callable[[int], Awaitable[object]],
    free: Callable[[int], Awaitable[object]],
    *,
    pairs: int,
    between: Callable[[], Awaitable[object]] | None = None,
    rounds: int = 3,
) -> float:
    """The median, over pairs of calls made back to back, of a registered phone's time over a free phone's.

    Each pair shares the machine's load of its moment (which call goes first alternates), so a busy machine slows
    both alike; each pair stands in an hour of its own, under the limits; two pairs first warm caches up. While the
    median is outside 0.9–1.1, up to `rounds` batches of `pairs` are pooled: noise averages out as pairs are added,
    a real difference does not (today's code stays at ~0.03 however long it is measured).
    """
    ratios: list[float] = []
    ratio = 0.0
    for i in range(2 + pairs * rounds):
        clock.advance(SEND_WINDOW)
        if between is not None:
            await between()  # untimed
        order = [("registered", registered), ("free", free)]
        if i % 2:
            order.reverse()
        took: dict[str, float] = {}
        for name, call in order:
            started = time.perf_counter()
            await call(i)
            took[name] = time.perf_counter() - started
        if i < 2:
            continue
        ratios.append(took["registered"] / took["free"])
        if len(ratios) % pairs == 0:
            ratio = statistics.median(ratios)
            print(f"registered/free time, median over {len(ratios)} pairs: {ratio:.3f}")
            if 0.9 <= ratio <= 1.1:
                break
    return ratio


async def test_registration_takes_as_long_for_a_registered_phone(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: a phone registered a moment ago and a free one for each pair, both new to the limiter (as an
    # attacker's would be)
    owner: list[Customer] = []

    async def new_owner() -> None:
        owner[:] = [await create_customer(runtime.db, now=clock.now())]

    async def for_registered(i: int) -> None:
        body = await gql.post(START_REGISTRATION, registration(owner[0].phone))
        assert body["data"]["startRegistration"]["errors"] == []

    async def for_free(i: int) -> None:
        body = await gql.post(START_REGISTRATION, registration(unique_phone()))
        assert body["data"]["startRegistration"]["errors"] == []

    # when
    ratio = await timing_ratio(clock, for_registered, for_free, pairs=12, between=new_owner)

    # then: within 10 % (issue 13 saw 10 ms against 356 ms, a ratio of 0.03)
    assert 0.9 <= ratio <= 1.1, ratio


async def test_phone_change_takes_as_long_for_another_customers_phone(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given
    customer = await create_customer(runtime.db, now=clock.now())
    me = [gql]
    owner: list[Customer] = []

    async def prepare() -> None:  # the clock moves an hour a pair: a fresh access token each time
        me[:] = [gql.as_token(await token_for(runtime, customer))]
        owner[:] = [await create_customer(runtime.db, now=clock.now())]

    async def for_registered(i: int) -> None:
        body = await me[0].post(START_PHONE_CHANGE, {"input": {"newPhone": owner[0].phone}})
        assert body["data"]["startPhoneChange"]["errors"] == []

    async def for_free(i: int) -> None:
        body = await me[0].post(START_PHONE_CHANGE, {"input": {"newPhone": unique_phone()}})
        assert body["data"]["startPhoneChange"]["errors"] == []

    # when
    ratio = await timing_ratio(clock, for_registered, for_free, pairs=30, between=prepare)

    # then
    assert 0.9 <= ratio <= 1.1, ratio


async def test_a_phone_registered_after_the_challenge_gets_the_notice_on_resend(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: a registration started for a free phone, which someone registers before the resend
    phone = unique_phone()
    started = (await gql.execute(START_REGISTRATION, registration(phone)))["startRegistration"]
    await create_customer(runtime.db, now=clock.now(), phone=phone)
    clock.advance(timedelta(seconds=61))

    # when
    resent = await gql.execute(
        "mutation($input: ResendCodeInput!) { resendCode(input: $input) { errors { code } } }",
        {"input": {"challengeId": started["challenge"]["id"]}},
    )

    # then
    assert resent["resendCode"]["errors"] == []
    assert (await last_sms_to(runtime, phone))["kind"] == PHONE_REGISTERED_KIND

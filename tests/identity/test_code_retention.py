"""Codes sent by SMS are not kept readable in `outbound_message` once delivered (or given up): `one_time_code`
stores them hashed, and a clear copy beside it would undo that (issue 13)."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from services.messaging.delivery import MAX_ATTEMPTS, deliver_pending
from services.messaging.gateways import DeliveryError, Outgoing
from services.platform.clock import FrozenClock
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.factories import DEFAULT_PASSWORD, create_customer, unique_phone
from tests.support.graphql import GraphQLClient
from tests.support.identity import START_REGISTRATION, deliver, sms_code_for, token_for

START_RECOVERY = """
mutation($input: StartPasswordRecoveryInput!) { startPasswordRecovery(input: $input) { errors { code } } }"""
START_PHONE_CHANGE = """
mutation($input: StartPhoneChangeInput!) { startPhoneChange(input: $input) { errors { code } } }"""
SIX_DIGITS = re.compile(r"\d{6}")


async def outbox_rows(runtime: Runtime, *phones: str) -> list[sa.Row[tuple[object, ...]]]:
    async with runtime.db.session() as session:
        return list(
            (
                await run(
                    session,
                    sa.text(
                        "SELECT recipient, kind, status, created_at, sent_at, body FROM outbound_message"
                        " WHERE recipient = ANY(:phones) ORDER BY id"
                    ),
                    {"phones": list(phones)},
                )
            ).all()
        )


async def test_no_sms_code_stays_readable_after_delivery(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: a registration, a recovery and a phone change, each sending a code
    new, customer, moved_to = unique_phone(), await create_customer(runtime.db, now=clock.now()), unique_phone()
    registration = {
        "phone": new,
        "password": DEFAULT_PASSWORD,
        "passwordConfirmation": DEFAULT_PASSWORD,
        "privacyPolicyAccepted": True,
    }
    await gql.execute(START_REGISTRATION, {"input": registration})
    await gql.execute(START_RECOVERY, {"input": {"phone": customer.phone}})
    me = gql.as_token(await token_for(runtime, customer))
    await me.execute(START_PHONE_CHANGE, {"input": {"newPhone": moved_to}})

    # when: the delivery job hands them to the gateway
    codes = [await sms_code_for(runtime, phone) for phone in (new, customer.phone, moved_to)]
    rows = await outbox_rows(runtime, new, customer.phone, moved_to)

    # then: the customers got their codes; the table keeps kind, recipient and times, not the codes
    assert [(row.recipient, row.kind, row.status, row.created_at, row.sent_at) for row in rows] == [
        (new, "REGISTRATION_CODE", "SENT", clock.now(), clock.now()),
        (customer.phone, "PASSWORD_RECOVERY_CODE", "SENT", clock.now(), clock.now()),
        (moved_to, "PHONE_CHANGE_CODE", "SENT", clock.now(), clock.now()),
    ]
    assert all(len(code) == 6 for code in codes)
    assert [SIX_DIGITS.search(row.body) for row in rows] == [None, None, None]


async def test_a_code_the_gateway_never_took_is_not_kept_readable_either(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: the gateway is down for good
    class Down:
        async def send_sms(self, message: Outgoing) -> None:
            raise DeliveryError("gateway unreachable")

    runtime.sms_gateway = Down()
    phone = unique_phone()
    await gql.execute(
        START_REGISTRATION,
        {
            "input": {
                "phone": phone,
                "password": DEFAULT_PASSWORD,
                "passwordConfirmation": DEFAULT_PASSWORD,
                "privacyPolicyAccepted": True,
            }
        },
    )
    pending = await outbox_rows(runtime, phone)

    # when: the job gives up
    for _ in range(MAX_ATTEMPTS):
        await deliver_pending(runtime)
        clock.advance(timedelta(hours=1))

    # then: readable while it could still be sent, not after
    failed = await outbox_rows(runtime, phone)
    assert SIX_DIGITS.search(pending[0].body) is not None
    assert (failed[0].status, SIX_DIGITS.search(failed[0].body)) == ("FAILED", None)


async def test_a_message_without_a_code_keeps_its_text(runtime: Runtime, clock: FrozenClock) -> None:
    from services.objects.notices import account_linked

    customer = await create_customer(runtime.db, now=clock.now())
    async with runtime.db.session() as session:
        account_linked(session, runtime.settings, customer, number="100200300", now=clock.now())
        await session.commit()

    await deliver(runtime)

    [row] = await outbox_rows(runtime, customer.phone)
    assert (row.status, row.body) == (
        "SENT",
        "Сведения по лицевому счёту 100200300 загружены в Личный кабинет ТГК-2 Энергосбыт.",
    )

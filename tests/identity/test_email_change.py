"""Email change: the code goes over real SMTP (a local aiosmtpd server) and confirms the address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from models import Customer
from services.platform.clock import FrozenClock
from services.platform.database import run
from services.platform.runtime import Runtime
from services.platform.settings import EmailGateway, Settings
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import (
    SmtpInbox,
    code_in,
    count_rows,
    deliver,
    error_codes_of,
    local_smtp_server,
    token_for,
)

START_EMAIL_CHANGE = """
mutation($input: StartEmailChangeInput!) {
  startEmailChange(input: $input) { challenge { id } errors { field code message } }
}"""

CONFIRM_EMAIL_CHANGE = """
mutation($input: ConfirmEmailChangeInput!) {
  confirmEmailChange(input: $input) { customer { email emailVerified } errors { field code message } }
}"""


@pytest.fixture
def smtp() -> Iterator[SmtpInbox]:
    with local_smtp_server() as inbox:
        yield inbox


@pytest.fixture
def settings(tmp_path: Path, smtp: SmtpInbox) -> Settings:
    return Settings(
        database_url="postgresql://unused",
        redis_url=None,
        data_dir=tmp_path / "data",
        email_gateway=EmailGateway.SMTP,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
    )


async def test_a_customer_confirms_a_new_email_with_the_code_from_the_letter(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, smtp: SmtpInbox
) -> None:
    # given
    customer = await create_customer(runtime.db, now=clock.now())
    me = gql.as_token(await token_for(runtime, customer))

    # when
    started = await me.execute(START_EMAIL_CHANGE, {"input": {"newEmail": " Ivanov@Mail.RU "}})
    await deliver(runtime)
    letter = smtp.last_to("Ivanov@mail.ru")
    code = code_in(letter.get_payload(decode=True).decode())  # type: ignore[union-attr]
    confirmed = await me.execute(
        CONFIRM_EMAIL_CHANGE, {"input": {"challengeId": started["startEmailChange"]["challenge"]["id"], "code": code}}
    )

    # then
    assert confirmed["confirmEmailChange"]["customer"] == {"email": "Ivanov@mail.ru", "emailVerified": True}
    assert letter["From"] == runtime.settings.email_sender
    mirrored = [orjson.loads(line) for line in runtime.settings.email_outbox_file.read_bytes().splitlines()]
    assert mirrored[-1]["kind"] == "EMAIL_CHANGE_CODE"


async def test_a_wrong_email_code_changes_nothing(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, smtp: SmtpInbox
) -> None:
    customer = await create_customer(runtime.db, now=clock.now(), email="old@mail.ru")
    me = gql.as_token(await token_for(runtime, customer))
    started = await me.execute(START_EMAIL_CHANGE, {"input": {"newEmail": "new@mail.ru"}})
    await deliver(runtime)
    code = code_in(smtp.last_to("new@mail.ru").get_payload(decode=True).decode())  # type: ignore[union-attr]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    refused = await me.execute(
        CONFIRM_EMAIL_CHANGE, {"input": {"challengeId": started["startEmailChange"]["challenge"]["id"], "code": wrong}}
    )

    assert error_codes_of(refused["confirmEmailChange"]) == ["INVALID_CODE"]
    async with runtime.db.session() as session:
        unchanged = await session.get(Customer, customer.id)
    assert unchanged is not None
    assert unchanged.email == "old@mail.ru"


async def test_the_current_verified_email_is_not_a_change(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    customer = await create_customer(runtime.db, now=clock.now(), email="same@mail.ru")

    data = await gql.as_token(await token_for(runtime, customer)).execute(
        START_EMAIL_CHANGE, {"input": {"newEmail": "same@MAIL.ru"}}
    )

    assert error_codes_of(data["startEmailChange"]) == ["SAME_AS_CURRENT"]


async def test_at_most_ten_codes_a_day_go_to_one_email_however_it_is_spelt(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: ten codes, each to another spelling of one address
    customer = await create_customer(runtime.db, now=clock.now())
    me = gql.as_token(await token_for(runtime, customer))
    spellings = ["petrov@mail.ru", "Petrov@mail.ru", "PETROV@mail.ru", "pEtrov@mail.ru", "peTrov@mail.ru"]
    spellings += [spelling.replace("ov@", "OV@") for spelling in spellings]
    for spelling in spellings:
        sent = await me.execute(START_EMAIL_CHANGE, {"input": {"newEmail": spelling}})
        assert sent["startEmailChange"]["errors"] == []
    codes_before = await count_rows(runtime, "one_time_code")

    # when
    eleventh = await me.execute(START_EMAIL_CHANGE, {"input": {"newEmail": "PetroV@Mail.ru"}})

    # then
    assert error_codes_of(eleventh["startEmailChange"]) == ["TOO_MANY_ATTEMPTS"]
    assert await count_rows(runtime, "one_time_code") == codes_before


async def test_the_emailed_code_is_not_kept_readable_after_delivery(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, smtp: SmtpInbox
) -> None:
    # given
    customer = await create_customer(runtime.db, now=clock.now())
    me = gql.as_token(await token_for(runtime, customer))
    await me.execute(START_EMAIL_CHANGE, {"input": {"newEmail": "kept@mail.ru"}})

    # when
    await deliver(runtime)
    code = code_in(smtp.last_to("kept@mail.ru").get_payload(decode=True).decode())  # type: ignore[union-attr]

    # then: the letter went out with the code; the outbox row keeps what support needs, not the code
    async with runtime.db.session() as session:
        rows = (
            await run(
                session,
                sa.text(
                    "SELECT kind, recipient, subject, status, sent_at, body FROM outbound_message"
                    " WHERE recipient = 'kept@mail.ru'"
                ),
            )
        ).all()
    assert [(row.kind, row.recipient, row.status, row.sent_at) for row in rows] == [
        ("EMAIL_CHANGE_CODE", "kept@mail.ru", "SENT", clock.now())
    ]
    assert rows[0].subject
    assert code not in rows[0].body

"""What analysts read: phones in any usual spelling masked, account numbers left readable."""

from __future__ import annotations

import pytest

from models.enums import AppealTargetKind, AppealTopic, Role
from services.appeals import conversation
from services.appeals.masking import mask_personal_data
from services.appeals.targets import TargetChoice
from services.platform.runtime import Runtime
from tests.support.appeals import appeal_gid
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("тел 9991234567", "тел ***"),
        ("моб. 999-123-45-67", "моб. ***"),
        ("7-999-123-45-67", "***"),
        ("+7 (921) 000-00-01", "***"),
        ("8 921 000 00 01, вечером", "***, вечером"),
        ("89991234567", "***"),
        ("(999) 123-45-67", "***"),
        ("звоните 123-45-67", "звоните ***"),
        ("ivanov@mail.ru", "***"),
    ],
)
def test_phones_and_emails_are_masked_in_any_usual_spelling(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize("text", ["Лицевой счёт 291000517", "Лицевой счёт 991234567", "Договор 2900123456"])
def test_account_and_contract_numbers_stay_readable(text: str) -> None:
    assert mask_personal_data(text) == text


TARGET = "query($id: ID!) { node(id: $id) { ... on Appeal { target { kind number } } } }"


@pytest.mark.parametrize(("role", "expected"), [(Role.ANALYST, "***"), (Role.OPERATOR, "8-999-123-45-67")])
async def test_a_phone_typed_as_the_target_number_is_masked_for_analysts(
    runtime: Runtime, gql: GraphQLClient, role: Role, expected: str
) -> None:
    # given: an appeal about «another number» that is the customer's phone
    now = runtime.clock.now()
    customer = await create_customer(runtime.db, now=now)
    reader = await create_customer(runtime.db, now=now, role=role)
    assert customer.id is not None
    posted = await conversation.create_appeal(
        runtime,
        customer_id=customer.id,
        target=TargetChoice(kind=AppealTargetKind.OTHER, number="8-999-123-45-67"),
        topic=AppealTopic.OTHER,
        text="Прошу перезвонить",
        attachments=[],
    )

    # when
    data = await gql.as_token(await token_for(runtime, reader)).execute(TARGET, {"id": appeal_gid(posted.appeal.id)})

    # then
    assert data["node"]["target"] == {"kind": "OTHER", "number": expected}


async def test_a_typed_account_number_is_not_masked_for_analysts(runtime: Runtime, gql: GraphQLClient) -> None:
    now = runtime.clock.now()
    customer = await create_customer(runtime.db, now=now)
    analyst = await create_customer(runtime.db, now=now, role=Role.ANALYST)
    assert customer.id is not None
    posted = await conversation.create_appeal(
        runtime,
        customer_id=customer.id,
        target=TargetChoice(kind=AppealTargetKind.OTHER, number="291000517"),
        topic=AppealTopic.OTHER,
        text="Прошу проверить начисление",
        attachments=[],
    )

    data = await gql.as_token(await token_for(runtime, analyst)).execute(TARGET, {"id": appeal_gid(posted.appeal.id)})

    assert data["node"]["target"] == {"kind": "OTHER", "number": "291000517"}

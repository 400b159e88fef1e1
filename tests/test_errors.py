"""What clients see when something goes wrong: internal details never; odd ids as missing objects."""

from __future__ import annotations

import base64

import pytest

from loaders.access import LinkedAccountIds
from models.enums import Role
from schema.core.masking import INTERNAL_ERROR_MESSAGE
from services.platform.runtime import Runtime
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for

NODE = "query ($id: ID!) { node(id: $id) { id } }"


def global_id(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.OPERATOR])
@pytest.mark.parametrize(
    "raw",
    ["PersonalAccount:²", "PersonalAccount:" + "9" * 30, "Contract:-1", "Customer:１２", "Meter:1e3", "Statement:"],
)
async def test_odd_ids_answer_like_missing_objects(runtime: Runtime, gql: GraphQLClient, role: Role, raw: str) -> None:
    viewer = await create_customer(runtime.db, now=runtime.clock.now(), role=role)

    body = await gql.as_token(await token_for(runtime, viewer)).post(NODE, {"id": global_id(raw)})

    assert body == {"data": {"node": None}}


async def test_an_internal_error_reaches_the_client_without_its_details(
    runtime: Runtime, gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a database failure while checking what the customer may see
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    token = await token_for(runtime, customer)

    async def broken(self: LinkedAccountIds, keys: list[int]) -> list[frozenset[int]]:
        raise RuntimeError("connection to 10.0.0.5 lost while running SELECT secret")

    monkeypatch.setattr(LinkedAccountIds, "batch_load_fn", broken)

    # when
    body = await gql.as_token(token).post(NODE, {"id": global_id("PersonalAccount:1")})

    # then
    assert body["data"] == {"node": None}
    assert [error["message"] for error in body["errors"]] == [INTERNAL_ERROR_MESSAGE]
    assert "secret" not in str(body)


async def test_a_period_beyond_the_calendar_is_a_clear_error(runtime: Runtime, gql: GraphQLClient) -> None:
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    await create_account(runtime.db, now=runtime.clock.now(), owner=customer)
    query = "query ($p: PeriodFilter) { me { personalAccounts { payments(period: $p) { edges { cursor } } } } }"

    body = await gql.as_token(await token_for(runtime, customer)).post(
        query, {"p": {"from": "2026-01-01", "to": "9999-12-31"}}
    )

    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "Укажите период не позже 9998 года"


@pytest.mark.parametrize("value", [12.7, True, "12"])
def test_money_accepts_whole_numbers_only(value: object) -> None:
    from schema.core.scalars import whole_number

    with pytest.raises(ValueError, match="whole number"):
        whole_number(value)


@pytest.mark.parametrize("literal", ['"x"', '""', "12.5", "true"])
async def test_money_written_in_the_document_as_no_whole_number_is_bad_input_not_an_internal_error(
    runtime: Runtime, gql: GraphQLClient, literal: str
) -> None:
    """Found by the fuzzing (bench/fuzz_graphql.py): a literal `penalty: "x"` was a masked internal error."""
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    account, _ = await create_account(runtime.db, now=runtime.clock.now(), owner=customer)
    mutation = (
        "mutation { startPayment(input: {accountId: %s, electricity: 100, penalty: LITERAL, stateDuty: 0, method: SBP, "
        'idempotencyKey: "k-1"}) { errors { code } } }'
    ).replace("LITERAL", literal) % f'"{global_id(f"PersonalAccount:{account.id}")}"'

    body = await gql.as_token(await token_for(runtime, customer)).post(mutation)

    assert body.get("data") is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]
    assert "целое число" in body["errors"][0]["message"]
    assert INTERNAL_ERROR_MESSAGE not in body["errors"][0]["message"]

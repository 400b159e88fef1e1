"""The e-receipt setting of a contract through GraphQL: who may read and change it, and what it keeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from models import Contract
from models.objects import ContractLink
from services.platform.runtime import Runtime
from tests.support.callers import make_callers, matrix
from tests.support.graphql import GraphQLClient
from tests.support.objects import count_where, create_contract, global_id

UPDATE = """mutation($input: UpdateContractReceiptsInput!) {
  updateContractReceipts(input: $input) {
    contract { number receiptDelivery { electronic email } }
    errors { field code message }
  }
}"""
SETTING = """query($id: ID!) { node(id: $id) { ... on Contract { receiptDelivery { electronic email } } } }"""


@dataclass
class World:
    contract: Contract
    tokens: dict[str, str | None]


@pytest.fixture
async def world(runtime: Runtime) -> World:
    callers = await make_callers(runtime)
    contract = await create_contract(runtime.db, now=runtime.clock.now())
    owner = callers.people["owner"]
    assert owner.id is not None
    assert contract.id is not None
    async with runtime.db.session() as session:
        session.add(ContractLink(customer_id=owner.id, contract_id=contract.id, linked_at=runtime.clock.now()))
        await session.commit()
    return World(contract=contract, tokens=callers.tokens)


async def update(gql: GraphQLClient, token: str | None, contract_id: int | None, **fields: Any) -> dict[str, Any]:
    return await gql.as_token(token).post(
        UPDATE, {"input": {"contractId": global_id("Contract", contract_id), **fields}}
    )


def outcome(body: dict[str, Any]) -> str:
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    payload = body["data"]["updateContractReceipts"]
    return str(payload["errors"][0]["code"]) if payload["errors"] else "OK"


async def opted_in(runtime: Runtime, contract: Contract) -> int:
    return await count_where(
        runtime,
        "contract_link",
        "contract_id = :id AND (receipt_electronic OR receipt_email IS NOT NULL)",
        id=contract.id,
    )


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "OK"),
)
async def test_only_the_contract_s_own_customer_changes_its_setting(
    gql: GraphQLClient, runtime: Runtime, world: World, caller: str, expected: str
) -> None:
    body = await update(gql, world.tokens[caller], world.contract.id, electronic=True, email="buh@mail.ru")

    assert outcome(body) == expected
    assert await opted_in(runtime, world.contract) == (1 if expected == "OK" else 0)


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix(None, None, {"receiptDelivery": None}, {"receiptDelivery": None}, {"receiptDelivery": None},
           {"receiptDelivery": {"electronic": False, "email": None}}),
)  # fmt: skip
async def test_the_setting_is_the_viewer_s_own(
    gql: GraphQLClient, world: World, caller: str, expected: dict[str, Any] | None
) -> None:
    body = await gql.as_token(world.tokens[caller]).post(SETTING, {"id": global_id("Contract", world.contract.id)})

    assert body["data"]["node"] == expected


async def test_switched_to_email_and_back_keeping_the_address(gql: GraphQLClient, world: World) -> None:
    token = world.tokens["owner"]

    on = await update(gql, token, world.contract.id, electronic=True, email=" Buh@Mail.RU ")
    off = await update(gql, token, world.contract.id, electronic=False)

    assert on["data"]["updateContractReceipts"] == {
        "contract": {"number": world.contract.number, "receiptDelivery": {"electronic": True, "email": "Buh@mail.ru"}},
        "errors": [],
    }
    assert off["data"]["updateContractReceipts"]["contract"]["receiptDelivery"] == {
        "electronic": False,
        "email": "Buh@mail.ru",
    }


@pytest.mark.parametrize("fields", [{"electronic": True}, {"electronic": True, "email": "buh@mail"}])
async def test_a_missing_or_bad_email_is_refused_and_nothing_changes(
    gql: GraphQLClient, runtime: Runtime, world: World, fields: dict[str, Any]
) -> None:
    body = await update(gql, world.tokens["owner"], world.contract.id, **fields)

    payload = body["data"]["updateContractReceipts"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_EMAIL", ["input", "email"])]
    assert payload["contract"] is None
    assert await opted_in(runtime, world.contract) == 0


async def test_another_customer_s_contract_answers_like_a_missing_one(gql: GraphQLClient, world: World) -> None:
    token = world.tokens["stranger"]

    foreign = await update(gql, token, world.contract.id, electronic=True, email="x@mail.ru")
    absent = await update(gql, token, 999_999_999, electronic=True, email="x@mail.ru")
    malformed = await gql.as_token(token).post(
        UPDATE, {"input": {"contractId": global_id("PersonalAccount", world.contract.id), "electronic": False}}
    )

    assert foreign == absent == malformed
    assert outcome(foreign) == "NOT_FOUND"

"""Contracts answer debt, statements, charges, payments and tariffs like accounts: the sum or union of their points."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from models import Charge, Customer, DeliveryPoint, Payment, Statement
from models.enums import ChargeBasis, ChargeKind, PaymentMethod, PaymentStatus, TariffZone
from services.platform.database import count_statements
from services.platform.runtime import Runtime
from tests.support.cabinet import CabinetContract, create_cabinet_contract
from tests.support.callers import make_callers, matrix
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import global_id

NOW = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
PAID_AT = datetime(2026, 12, 2, 9, tzinfo=UTC)  # after November: not in any statement yet

TABS = """
  debt { electricity penalty stateDuty total }
  lastCharges { period zone volume rate amount }
  statements(first: 10) { edges { node { id period closingBalance penalty
    account { id } deliveryPoint { name } payments { amount } } } }
  payments(first: 10) { edges { node { amount electricity penalty status account { id } deliveryPoint { name } } } }
  currentTariffs { zone }
"""
CONTRACT_QUERY = f"query($id: ID!) {{ node(id: $id) {{ ... on Contract {{ {TABS} }} }} }}"
STATEMENT_NODE = "query($id: ID!) { node(id: $id) { ... on Statement { period closingBalance } } }"


def _statement(point_id: int | None, period: date, closing: int, penalty: int) -> Statement:
    return Statement(
        delivery_point_id=point_id, period=period, opening_balance=0, charged=closing - penalty, recalculated=0,
        paid=0, penalty=penalty, closing_balance=closing, issued_on=period.replace(day=5), due_on=period,
        created_at=NOW,
    )  # fmt: skip


async def billed_contract(runtime: Runtime, owner: Customer | None) -> tuple[CabinetContract, list[int]]:
    """Two delivery points: Склад with October and November, Офис with November, and a payment after November."""
    contract = await create_cabinet_contract(runtime.db, now=NOW, owner=owner, months=2)
    store = contract.point.id
    assert store is not None
    async with runtime.db.session() as session:
        office = DeliveryPoint(contract_id=contract.id, name="Офис", address="г. Архангельск, ул. Тестовая, д. 7")
        session.add(office)
        await session.flush()
        statements = [
            _statement(store, date(2026, 10, 1), 100_000, 500),
            _statement(store, date(2026, 11, 1), 150_000, 700),
            _statement(office.id, date(2026, 11, 1), 40_000, 0),
        ]
        session.add_all(statements)
        await session.flush()
        session.add_all(
            [
                Charge(
                    delivery_point_id=store, statement_id=statements[0].id, period=date(2026, 10, 1),
                    zone=TariffZone.SINGLE, kind=ChargeKind.CONSUMPTION, basis=ChargeBasis.READINGS, volume_kwh=90,
                    rate_kopecks=800, amount=72_000,
                ),
                Charge(
                    delivery_point_id=store, statement_id=statements[1].id, period=date(2026, 11, 1),
                    zone=TariffZone.SINGLE, kind=ChargeKind.CONSUMPTION, basis=ChargeBasis.READINGS, volume_kwh=100,
                    rate_kopecks=800, amount=80_000,
                ),
                Payment(
                    delivery_point_id=store, amount=20_000, electricity=19_800, penalty=200, state_duty=0,
                    method=PaymentMethod.BANK, status=PaymentStatus.SUCCEEDED, created_at=PAID_AT, paid_at=PAID_AT,
                ),
            ]
        )  # fmt: skip
        await session.commit()
    return contract, [statement.id for statement in statements if statement.id is not None]


async def test_a_contract_sums_and_unites_its_delivery_points(gql: GraphQLClient, runtime: Runtime) -> None:
    owner = await _customer(runtime)
    contract, _ = await billed_contract(runtime, owner)

    data = await gql.as_token(await token_for(runtime, owner)).execute(
        CONTRACT_QUERY, {"id": global_id("Contract", contract.id)}
    )

    tabs = data["node"]
    # (150 000 − 20 000 paid after November) + 40 000; penalty 500 + 700 − 200 paid.
    assert tabs["debt"] == {"electricity": 169_000, "penalty": 1_000, "stateDuty": 0, "total": 170_000}
    assert tabs["lastCharges"] == [
        {"period": "2026-11-01", "zone": "SINGLE", "volume": 100, "rate": 800, "amount": 80_000}
    ]
    statements = [edge["node"] for edge in tabs["statements"]["edges"]]
    assert [(s["period"], s["closingBalance"], s["deliveryPoint"]["name"]) for s in statements] == [
        ("2026-11-01", 40_000, "Офис"),
        ("2026-11-01", 150_000, "Склад"),
        ("2026-10-01", 100_000, "Склад"),
    ]
    assert all(s["account"] is None and s["payments"] == [] for s in statements)
    payments = [edge["node"] for edge in tabs["payments"]["edges"]]
    assert payments == [
        {"amount": 20_000, "electricity": 19_800, "penalty": 200, "status": "SUCCEEDED", "account": None,
         "deliveryPoint": {"name": "Склад"}}
    ]  # fmt: skip
    assert tabs["currentTariffs"]
    assert {tariff["zone"] for tariff in tabs["currentTariffs"]} == {"SINGLE"}


async def test_a_contract_without_statements_owes_nothing(gql: GraphQLClient, runtime: Runtime) -> None:
    owner = await _customer(runtime)
    contract = await create_cabinet_contract(runtime.db, now=NOW, owner=owner, months=2)

    data = await gql.as_token(await token_for(runtime, owner)).execute(
        CONTRACT_QUERY, {"id": global_id("Contract", contract.id)}
    )

    assert data["node"]["debt"] == {"electricity": 0, "penalty": 0, "stateDuty": 0, "total": 0}
    assert data["node"]["statements"]["edges"] == []


async def _customer(runtime: Runtime) -> Customer:
    return await create_customer(runtime.db, now=NOW)


def _outcome(body: dict[str, Any]) -> str:
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    return "NULL" if body["data"]["node"] is None else "OK"


@pytest.mark.parametrize(("caller", "expected"), matrix("NULL", "NULL", "OK", "OK", "OK", "OK"))
async def test_who_sees_a_contracts_money_tabs_and_a_delivery_points_statement(
    gql: GraphQLClient, runtime: Runtime, caller: str, expected: str
) -> None:
    callers = await make_callers(runtime)
    contract, statement_ids = await billed_contract(runtime, callers.people["owner"])
    client = gql.as_token(callers.tokens[caller])

    tabs = await client.post(CONTRACT_QUERY, {"id": global_id("Contract", contract.id)})
    statement = await client.post(STATEMENT_NODE, {"id": global_id("Statement", statement_ids[0])})
    missing = await client.post(STATEMENT_NODE, {"id": global_id("Statement", 10**12)})

    assert _outcome(tabs) == expected
    assert _outcome(statement) == expected
    if expected == "OK":
        assert tabs["data"]["node"]["debt"]["total"] == 170_000
        assert statement["data"]["node"] == {"period": "2026-10-01", "closingBalance": 100_000}
    else:  # another customer's statement answers exactly like a missing one
        assert statement == missing


CABINET = f"{{ me {{ contracts {{ {TABS} }} }} }}"


async def test_contract_tabs_of_many_contracts_cost_as_many_statements_as_of_one(
    gql: GraphQLClient, runtime: Runtime
) -> None:
    counts = []
    for contracts in (1, 3):
        owner = await _customer(runtime)
        for _ in range(contracts):
            await billed_contract(runtime, owner)
        client = gql.as_token(await token_for(runtime, owner))
        await client.execute(CABINET)
        async with count_statements() as counter:
            data = await client.execute(CABINET)
        assert [c["debt"]["total"] for c in data["me"]["contracts"]] == [170_000] * contracts
        counts.append(counter[0])
    assert counts[0] == counts[1]

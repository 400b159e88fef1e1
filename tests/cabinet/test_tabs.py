"""The cabinet's tabs: «Сведения», «Расчёты», «Оплаты», «Показания» of an account and of a contract."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from models import Customer
from services.demo.credentials import DEMO_PHONE
from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase
from services.platform.runtime import Runtime
from tests.support.cabinet import RATE_KOPECKS, create_cabinet_account, create_cabinet_contract, global_id, token_for
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient

CABINET_QUERY = (Path(__file__).parents[2] / "bench" / "cabinet.graphql").read_text()

DETAILS_QUERY = """
query ($id: ID!) {
  node(id: $id) {
    ... on PersonalAccount {
      number residents objectKind
      debt { electricity penalty stateDuty total }
      lastCharges { period zone volume rate amount }
      currentTariffs { zone zoneCount }
      meters { serial zones lastReadings { zone value takenOn source } }
    }
  }
}
"""

STATEMENTS_QUERY = """
query ($id: ID!, $first: Int, $after: String, $period: PeriodFilter) {
  node(id: $id) {
    ... on PersonalAccount {
      statements(first: $first, after: $after, period: $period) {
        pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { node { period charged recalculated paid
          charges { zone volume rate amount }
          recalculations { zone volume amount recalculatedPeriod }
          payments { amount }
        } }
      }
    }
  }
}
"""

READINGS_QUERY = """
query ($id: ID!, $meter: ID, $period: PeriodFilter, $submitted: Boolean!) {
  node(id: $id) {
    ... on PersonalAccount {
      readings(meter: $meter, period: $period, first: 100) @skip(if: $submitted) {
        edges { node { zone value period source meter { serial } } }
      }
      readingSubmissions(meter: $meter, period: $period) @include(if: $submitted) {
        edges { node { status period values { zone value consumption } } }
      }
    }
  }
}
"""

PAYMENTS_QUERY = """
query ($id: ID!, $period: PeriodFilter) {
  node(id: $id) {
    ... on PersonalAccount { payments(period: $period, first: 100) { edges { node { amount status method } } } }
  }
}
"""


async def _owned_account(runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock, **kwargs: int):  # type: ignore[no-untyped-def]
    owner = await create_customer(db, now=clock.now())
    account = await create_cabinet_account(db, now=clock.now(), owner=owner, **kwargs)
    return account, await token_for(runtime, owner)


async def test_details_tab_shows_debt_last_charges_tariffs_and_last_readings(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    account, token = await _owned_account(runtime, db, clock, months=24, zone_count=2)

    # when
    data = await gql.as_token(token).execute(DETAILS_QUERY, {"id": global_id("PersonalAccount", account.id)})

    # then
    details = data["node"]
    assert details["debt"]["penalty"] == 1250
    assert details["debt"]["total"] == details["debt"]["electricity"] + 1250
    assert details["lastCharges"] == [
        {
            "period": "2026-10-01",
            "zone": zone,
            "volume": 173,
            "rate": RATE_KOPECKS[zone],
            "amount": 173 * RATE_KOPECKS[zone],
        }
        for zone in ("DAY", "NIGHT")
    ]
    assert details["currentTariffs"] == [{"zone": "DAY", "zoneCount": 2}, {"zone": "NIGHT", "zoneCount": 2}]
    (meter,) = details["meters"]
    assert meter["zones"] == ["DAY", "NIGHT"]
    assert [(reading["zone"], reading["takenOn"], reading["source"]) for reading in meter["lastReadings"]] == [
        ("DAY", "2026-10-24", "CUSTOMER"),
        ("NIGHT", "2026-10-24", "CUSTOMER"),
    ]


async def test_statements_page_on_with_the_cursor_without_overlap(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    account, token = await _owned_account(runtime, db, clock, months=12)
    client = gql.as_token(token)
    variables = {"id": global_id("PersonalAccount", account.id), "first": 5}

    # when
    first_page = (await client.execute(STATEMENTS_QUERY, variables))["node"]["statements"]
    cursor = first_page["pageInfo"]["endCursor"]
    second_page = (await client.execute(STATEMENTS_QUERY, {**variables, "after": cursor}))["node"]["statements"]

    # then
    periods = [edge["node"]["period"] for edge in first_page["edges"] + second_page["edges"]]
    assert periods == [f"2026-{month:02d}-01" for month in range(10, 0, -1)]
    assert first_page["pageInfo"]["hasNextPage"]
    assert second_page["pageInfo"]["hasPreviousPage"]


async def test_statement_carries_its_charges_recalculations_and_payments(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: the factory recalculates the second month in the fourth
    account, token = await _owned_account(runtime, db, clock, months=4, zone_count=1)
    period = {"from": "2026-10-01", "to": "2026-10-01"}

    # when
    data = await gql.as_token(token).execute(
        STATEMENTS_QUERY, {"id": global_id("PersonalAccount", account.id), "period": period}
    )

    # then
    (edge,) = data["node"]["statements"]["edges"]
    statement = edge["node"]
    assert statement["charges"] == [{"zone": "SINGLE", "volume": 153, "rate": 606, "amount": 153 * 606}]
    assert statement["recalculations"] == [
        {"zone": "SINGLE", "volume": -20, "amount": -20 * 606, "recalculatedPeriod": "2026-08-01"}
    ]
    assert [payment["amount"] for payment in statement["payments"]] == [statement["paid"]]
    assert statement["recalculated"] == -20 * 606


async def test_readings_tab_switches_between_accepted_and_submitted_and_filters_by_meter_and_months(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    account, token = await _owned_account(runtime, db, clock, months=6, zone_count=2)
    client = gql.as_token(token)
    variables = {
        "id": global_id("PersonalAccount", account.id),
        "meter": global_id("Meter", account.meters[0].id),
        "period": {"from": "2026-08-15", "to": "2026-09-02"},
    }

    # when
    accepted = (await client.execute(READINGS_QUERY, {**variables, "submitted": False}))["node"]["readings"]
    submitted = (await client.execute(READINGS_QUERY, {**variables, "submitted": True}))["node"]["readingSubmissions"]

    # then: August and September, both ends' months included
    assert [(edge["node"]["period"], edge["node"]["zone"]) for edge in accepted["edges"]] == [
        ("2026-09-01", "NIGHT"),
        ("2026-09-01", "DAY"),
        ("2026-08-01", "NIGHT"),
        ("2026-08-01", "DAY"),
    ]
    assert [edge["node"]["period"] for edge in submitted["edges"]] == ["2026-09-01", "2026-08-01"]
    assert submitted["edges"][0]["node"]["values"] == [
        {"zone": "DAY", "value": 500, "consumption": 100},
        {"zone": "NIGHT", "value": 501, "consumption": 100},
    ]


async def test_another_accounts_meter_filters_out_everything(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    account, token = await _owned_account(runtime, db, clock, months=2)
    stranger = await create_cabinet_account(db, now=clock.now(), months=2)
    variables = {
        "id": global_id("PersonalAccount", account.id),
        "meter": global_id("Meter", stranger.meters[0].id),
        "submitted": False,
    }

    # when
    data = await gql.as_token(token).execute(READINGS_QUERY, variables)

    # then
    assert data["node"]["readings"]["edges"] == []


async def test_payments_tab_lists_every_status_within_the_months(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: payments on the 10th of every month but the first, and a pending one now (November)
    account, token = await _owned_account(runtime, db, clock, months=3)
    client = gql.as_token(token)
    account_id = global_id("PersonalAccount", account.id)

    # when
    everything = await client.execute(PAYMENTS_QUERY, {"id": account_id})
    november = await client.execute(
        PAYMENTS_QUERY, {"id": account_id, "period": {"from": "2026-11-01", "to": "2026-11-30"}}
    )

    # then
    assert [edge["node"]["status"] for edge in everything["node"]["payments"]["edges"]] == [
        "PENDING",
        "SUCCEEDED",
        "SUCCEEDED",
    ]
    assert [edge["node"]["status"] for edge in november["node"]["payments"]["edges"]] == ["PENDING"]


async def test_more_than_a_hundred_rows_per_page_is_a_bad_user_input(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    account, token = await _owned_account(runtime, db, clock, months=1)

    codes = await gql.as_token(token).error_codes(
        STATEMENTS_QUERY, {"id": global_id("PersonalAccount", account.id), "first": 101}
    )

    assert codes == ["BAD_USER_INPUT"]


async def test_period_ending_before_it_starts_is_a_bad_user_input(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    account, token = await _owned_account(runtime, db, clock, months=1)
    period = {"from": "2026-10-01", "to": "2026-09-30"}

    codes = await gql.as_token(token).error_codes(
        STATEMENTS_QUERY, {"id": global_id("PersonalAccount", account.id), "period": period}
    )

    assert codes == ["BAD_USER_INPUT"]


async def test_contract_shows_its_delivery_points_meters_and_readings(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    owner = await create_customer(db, now=clock.now())
    contract = await create_cabinet_contract(db, now=clock.now(), owner=owner, months=3)
    query = """query ($id: ID!) { node(id: $id) { ... on Contract {
        deliveryPoints { name meters { serial lastReadings { value } } }
        readings(first: 2) { pageInfo { hasNextPage } edges { node { period } } } } } }"""

    # when
    data = await gql.as_token(await token_for(runtime, owner)).execute(
        query, {"id": global_id("Contract", contract.id)}
    )

    # then
    (point,) = data["node"]["deliveryPoints"]
    assert point["name"] == "Склад"
    assert point["meters"][0]["serial"] == contract.meter.serial
    assert point["meters"][0]["lastReadings"] == [{"value": 1000 + 3 * 100 + 0 + 1 + 2}]
    readings = data["node"]["readings"]
    assert [edge["node"]["period"] for edge in readings["edges"]] == ["2026-10-01", "2026-09-01"]
    assert readings["pageInfo"]["hasNextPage"]


async def test_demo_customer_sees_a_whole_cabinet(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase
) -> None:
    async with db.session() as session:
        demo = (await session.exec(select(Customer).where(Customer.phone == DEMO_PHONE))).one()

    data = await gql.as_token(await token_for(runtime, demo)).execute(CABINET_QUERY, {"period": None})

    assert len(data["me"]["personalAccounts"]) == 3
    assert len(data["me"]["contracts"]) >= 1
    assert all(account["statements"]["edges"] for account in data["me"]["personalAccounts"])

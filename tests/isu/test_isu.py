"""Smart-meter data (ИСУ) through `Meter.isu`: columnar series aligned to their steps, range limits, who may read."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from models import Customer
from models.enums import TariffScale
from services.demo.credentials import DEMO_PHONE
from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase, count_statements
from services.platform.runtime import Runtime
from tests.support.cabinet import global_id, token_for
from tests.support.callers import make_callers, matrix
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient
from tests.support.isu import (
    EVENTS,
    MISSING_HOUR,
    PROFILE_START,
    REGISTER_DAYS,
    SmartMeter,
    create_smart_meter,
    hour_values,
    register_values,
)

PROFILE_QUERY = """
query ($id: ID!, $from: DateTime!, $to: DateTime!) {
  node(id: $id) { ... on Meter { isu { hourlyProfile(from: $from, to: $to) {
    start stepMinutes aPlusWh aMinusWh rPlusVarh rMinusVarh
  } } } }
}
"""
REGISTERS_QUERY = """
query ($id: ID!, $from: Date!, $to: Date!, $scale: TariffScale) {
  node(id: $id) { ... on Meter { isu { dailyRegisters(from: $from, to: $to, scale: $scale) {
    start stepDays days scales { scale aPlusWh aMinusWh rPlusVarh rMinusVarh }
  } } } }
}
"""
EVENTS_QUERY = """
query ($id: ID!, $first: Int, $after: String, $category: IsuEventCategory) {
  node(id: $id) { ... on Meter { isu { events(first: $first, after: $after, category: $category) {
    edges { cursor node { occurredAt category code description } }
    pageInfo { hasNextPage endCursor }
  } } } }
}
"""
ISU_CODE_QUERY = "query ($id: ID!) { node(id: $id) { ... on Meter { isSmart isu { code } } } }"
REFERENCE_AND_POWER_QUERY = """
{ me { personalAccounts { meters { isu {
  code deliveryPointCode address currentRatio voltageRatio connectedOn maxPowerKw meter { serial model }
  powerExtremes(from: "2026-10-15", to: "2026-11-30") { period quantity kind value occurredAt }
} } } } }
"""
DEMO_PROFILE_QUERY = """
query ($from: DateTime!, $to: DateTime!) {
  me { personalAccounts { meters { isSmart isu { hourlyProfile(from: $from, to: $to) { start aPlusWh } } } } }
}
"""


def _iso(hours_from_start: int) -> str:
    return (PROFILE_START + timedelta(hours=hours_from_start)).isoformat()


async def _owned_smart_meter(runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock) -> tuple[SmartMeter, str]:
    owner = await create_customer(db, now=clock.now())
    smart = await create_smart_meter(db, now=clock.now(), owner=owner)
    return smart, await token_for(runtime, owner)


def _isu(data: dict[str, Any]) -> Any:
    return data["node"]["isu"]


async def test_hourly_profile_is_aligned_to_hours_with_null_for_missing_ones(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: two hours before the data starts, then the first eight hours with the sixth missing
    smart, token = await _owned_smart_meter(runtime, db, clock)
    variables = {"id": global_id("Meter", smart.meter_id), "from": _iso(-2), "to": _iso(8)}

    # when
    profile = _isu(await gql.as_token(token).execute(PROFILE_QUERY, variables))["hourlyProfile"]

    # then
    expected = [hour_values(index) for index in range(-2, 8)]
    assert expected[2 + MISSING_HOUR] is None
    assert profile == {
        "start": _iso(-2),
        "stepMinutes": 60,
        "aPlusWh": [values[0] if values else None for values in expected],
        "aMinusWh": [values[1] if values else None for values in expected],
        "rPlusVarh": [values[2] if values else None for values in expected],
        "rMinusVarh": [values[3] if values else None for values in expected],
    }


async def test_hourly_profile_rounds_start_down_to_the_hour_and_reads_local_time_without_offset(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: 2026-11-01 00:30 Moscow time, no offset, is 2026-10-31 21:30 UTC
    smart, token = await _owned_smart_meter(runtime, db, clock)
    variables = {"id": global_id("Meter", smart.meter_id), "from": "2026-11-01T00:30:00", "to": _iso(3)}

    # when
    profile = _isu(await gql.as_token(token).execute(PROFILE_QUERY, variables))["hourlyProfile"]

    # then
    assert profile["start"] == _iso(0)
    assert profile["aPlusWh"] == [100, 101, 102]


async def test_daily_registers_are_columns_per_scale_with_null_for_missing_days(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    smart, token = await _owned_smart_meter(runtime, db, clock)
    first, last = REGISTER_DAYS
    variables = {"id": global_id("Meter", smart.meter_id), "from": first.isoformat(), "to": last.isoformat()}

    # when
    registers = _isu(await gql.as_token(token).execute(REGISTERS_QUERY, variables))["dailyRegisters"]

    # then
    def column(scale: TariffScale, channel: int) -> list[int | None]:
        return [register_values(first, scale)[channel], None, register_values(last, scale)[channel]]

    assert registers == {
        "start": "2026-11-01",
        "stepDays": 1,
        "days": ["2026-11-01", "2026-11-02", "2026-11-03"],
        "scales": [
            {
                "scale": scale.value,
                "aPlusWh": column(scale, 0),
                "aMinusWh": column(scale, 1),
                "rPlusVarh": column(scale, 2),
                "rMinusVarh": column(scale, 3),
            }
            for scale in (TariffScale.TOTAL, TariffScale.T1)
        ],
    }


async def test_daily_registers_of_one_scale_answer_that_scale_even_without_data(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    smart, token = await _owned_smart_meter(runtime, db, clock)
    meter_id = global_id("Meter", smart.meter_id)
    client = gql.as_token(token)

    # when
    t1 = await client.execute(
        REGISTERS_QUERY, {"id": meter_id, "from": "2026-11-03", "to": "2026-11-04", "scale": "T1"}
    )
    t2 = await client.execute(
        REGISTERS_QUERY, {"id": meter_id, "from": "2026-11-03", "to": "2026-11-03", "scale": "T2"}
    )

    # then
    assert [scale["aPlusWh"] for scale in _isu(t1)["dailyRegisters"]["scales"]] == [
        [register_values(date(2026, 11, 3), TariffScale.T1)[0], None]
    ]
    assert _isu(t2)["dailyRegisters"]["scales"] == [
        {"scale": "T2", "aPlusWh": [None], "aMinusWh": [None], "rPlusVarh": [None], "rMinusVarh": [None]}
    ]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (PROFILE_QUERY, {"from": "2025-01-01T00:00:00Z", "to": "2026-01-02T00:00:01Z"}),  # 366 days and a second
        (PROFILE_QUERY, {"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"}),
        (REGISTERS_QUERY, {"from": "2025-01-01", "to": "2026-02-05"}),  # 401 days
        (REGISTERS_QUERY, {"from": "2026-11-02", "to": "2026-11-01"}),
    ],
    ids=["profile over 366 days", "profile backwards", "registers over 400 days", "registers backwards"],
)
async def test_ranges_beyond_the_limits_are_refused(
    *,
    gql: GraphQLClient,
    runtime: Runtime,
    db: TransactionalDatabase,
    clock: FrozenClock,
    query: str,
    variables: dict[str, str],
) -> None:
    # given
    smart, token = await _owned_smart_meter(runtime, db, clock)

    # when
    body = await gql.as_token(token).post(query, {"id": global_id("Meter", smart.meter_id), **variables})

    # then
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]
    assert body["data"]["node"]["isu"] is None


async def test_ranges_at_the_limits_are_answered(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    smart, token = await _owned_smart_meter(runtime, db, clock)
    meter_id = global_id("Meter", smart.meter_id)
    client = gql.as_token(token)

    # when
    profile = await client.execute(
        PROFILE_QUERY, {"id": meter_id, "from": "2025-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}
    )
    registers = await client.execute(REGISTERS_QUERY, {"id": meter_id, "from": "2025-01-01", "to": "2026-02-04"})

    # then
    assert len(_isu(profile)["hourlyProfile"]["aPlusWh"]) == 366 * 24
    assert len(_isu(registers)["dailyRegisters"]["days"]) == 400


async def test_events_are_a_connection_newest_first_filtered_by_category(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    smart, token = await _owned_smart_meter(runtime, db, clock)
    meter_id = global_id("Meter", smart.meter_id)
    client = gql.as_token(token)

    # when
    first_page = _isu(await client.execute(EVENTS_QUERY, {"id": meter_id, "first": 2}))["events"]
    next_page = _isu(
        await client.execute(EVENTS_QUERY, {"id": meter_id, "first": 2, "after": first_page["pageInfo"]["endCursor"]})
    )["events"]
    on_off = _isu(await client.execute(EVENTS_QUERY, {"id": meter_id, "category": "ON_OFF"}))["events"]

    # then
    def codes(page: dict[str, Any]) -> list[int]:
        return [edge["node"]["code"] for edge in page["edges"]]

    assert codes(first_page) == [41, 2]
    assert first_page["pageInfo"]["hasNextPage"] is True
    assert codes(next_page) == [1]
    assert next_page["pageInfo"]["hasNextPage"] is False
    assert codes(on_off) == [2, 1]
    assert first_page["edges"][0]["node"] == {
        "occurredAt": EVENTS[2][0].isoformat(),
        "category": "EXTERNAL_IMPACT",
        "code": 41,
        "description": "Воздействие магнитного поля",
    }


async def test_a_meter_that_is_not_smart_has_no_isu_data(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    owner = await create_customer(db, now=clock.now())
    _, meter = await create_account(db, now=clock.now(), owner=owner)

    # when
    data = await gql.as_token(await token_for(runtime, owner)).execute(
        ISU_CODE_QUERY, {"id": global_id("Meter", meter.id)}
    )

    # then
    assert data == {"node": {"isSmart": False, "isu": None}}


@pytest.mark.parametrize(("caller", "sees"), matrix(False, False, True, True, True, True))
async def test_isu_data_is_read_by_the_owner_and_staff_and_missing_for_others(
    *, gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock, caller: str, sees: bool
) -> None:
    # given
    callers = await make_callers(runtime)
    smart = await create_smart_meter(db, now=clock.now(), owner=callers.people["owner"])
    await create_account(db, now=clock.now(), owner=callers.people["stranger"])
    client = gql.as_token(callers.tokens[caller])

    # when
    body = await client.post(ISU_CODE_QUERY, {"id": global_id("Meter", smart.meter_id)})

    # then
    if sees:
        assert body["data"]["node"]["isSmart"] is True
        assert body["data"]["node"]["isu"]["code"].startswith("TP")
    else:
        assert body == {"data": {"node": None}}


async def test_reference_and_power_of_three_smart_meters_cost_as_many_statements_as_of_one(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    one_owner, three_owner = await create_customer(db, now=clock.now()), await create_customer(db, now=clock.now())
    await create_smart_meter(db, now=clock.now(), owner=one_owner)
    for _ in range(3):
        await create_smart_meter(db, now=clock.now(), owner=three_owner)
    one_token, three_token = await token_for(runtime, one_owner), await token_for(runtime, three_owner)

    # when (after a first request each: the process describes a statement the first time it sees its text, and
    # checks a session the first time it sees it)
    await gql.as_token(one_token).execute(REFERENCE_AND_POWER_QUERY)
    await gql.as_token(three_token).execute(REFERENCE_AND_POWER_QUERY)
    async with count_statements() as for_one:
        one = await gql.as_token(one_token).execute(REFERENCE_AND_POWER_QUERY)
    async with count_statements() as for_three:
        three = await gql.as_token(three_token).execute(REFERENCE_AND_POWER_QUERY)

    # then
    assert for_three[0] == for_one[0]
    points = [meter["isu"] for account in three["me"]["personalAccounts"] for meter in account["meters"]]
    assert len(points) == 3
    assert len({point["code"] for point in points}) == 3
    assert [(extreme["period"], extreme["kind"]) for extreme in points[0]["powerExtremes"]] == [
        ("2026-10-01", "MAX"),
        ("2026-10-01", "MIN"),
        ("2026-11-01", "MAX"),
        ("2026-11-01", "MIN"),
    ]
    assert one["me"]["personalAccounts"][0]["meters"][0]["isu"]["maxPowerKw"] == "15.00"


async def test_the_demo_customer_has_a_smart_meter_with_a_month_of_hours(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    async with db.session() as session:
        customer = (await session.exec(select(Customer).where(Customer.phone == DEMO_PHONE))).one()
    now = clock.now().replace(minute=0, second=0, microsecond=0)
    variables = {"from": (now - timedelta(days=30)).isoformat(), "to": now.isoformat()}

    # when
    data = await gql.as_token(await token_for(runtime, customer)).execute(DEMO_PROFILE_QUERY, variables)

    # then
    profiles = [
        meter["isu"]["hourlyProfile"]
        for account in data["me"]["personalAccounts"]
        for meter in account["meters"]
        if meter["isSmart"]
    ]
    assert profiles
    assert all(len(profile["aPlusWh"]) == 720 for profile in profiles)
    assert all(None not in profile["aPlusWh"] for profile in profiles)


def test_hourly_profiles_count_as_the_hours_they_may_carry() -> None:
    from graphql import parse

    from resolvers.root import schema
    from schema.core.cost import MAX_COST, operation_cost

    profile = 'isu { hourlyProfile(from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z") { aPlusWh aMinusWh } }'
    one = parse("{ me { personalAccounts { meters { " + profile + " } } } }")
    six = parse("{ me { personalAccounts { " + " ".join(f"m{n}: meters {{ {profile} }}" for n in range(6)) + " } } }")

    assert operation_cost(schema._schema, one) < MAX_COST
    assert operation_cost(schema._schema, six) > MAX_COST

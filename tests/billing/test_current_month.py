"""`PersonalAccount.currentMonth`: the month so far and its forecast, from smart-meter hours, the last reading or the
average. The clock: 2026-11-26 12:00 Moscow time, 612 of November's 720 hours and day 26 of 30."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from models import Charge, Meter
from models.enums import ChargeBasis, ChargeKind, TariffZone
from models.isu import IsuHourlyProfile, MeteringPoint
from services.billing.month_to_date import zone_of_hour
from services.platform.database import count_statements
from services.platform.runtime import Runtime
from tests.billing.test_close import rate
from tests.support.callers import make_callers, matrix
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import global_id
from tests.support.readings import add_readings

TODAY = date(2026, 11, 26)
QUERY = """query($id: ID!) { node(id: $id) { ... on PersonalAccount { currentMonth {
  basedOn consumed cost forecastConsumption forecastCost } } } }"""


async def _current_month(gql: GraphQLClient, token: str | None, account_id: int | None) -> Any:
    body = await gql.as_token(token).post(QUERY, {"id": global_id("PersonalAccount", account_id)})
    assert "errors" not in body, body
    node = body["data"]["node"]
    return node if node is None else node["currentMonth"]


async def _with_history(runtime: Runtime, account_id: int | None, volumes: list[int]) -> None:
    """Charges billed on readings for the months before November, the newest last."""
    async with runtime.db.session() as session:
        for index, kwh in enumerate(volumes):
            period = date(2026, 10 - len(volumes) + 1 + index, 1)
            session.add(
                Charge(
                    account_id=account_id, period=period, zone=TariffZone.SINGLE, kind=ChargeKind.CONSUMPTION,
                    basis=ChargeBasis.READINGS, volume_kwh=kwh, rate_kopecks=700, amount=kwh * 700,
                )
            )  # fmt: skip
        await session.commit()


async def test_the_average_of_three_metered_months_prorated_by_the_days_elapsed(
    gql: GraphQLClient, runtime: Runtime
) -> None:
    owner = await create_customer(runtime.db, now=runtime.clock.now())
    account, _ = await create_account(runtime.db, now=runtime.clock.now(), owner=owner)
    await _with_history(runtime, account.id, [100, 120, 140])  # average 120 kWh; 120 × 26 / 30 = 104
    single = await rate(runtime.db, TODAY)

    found = await _current_month(gql, await token_for(runtime, owner), account.id)

    assert found == {
        "basedOn": "AVERAGE", "consumed": 104, "cost": 104 * single, "forecastConsumption": 120,
        "forecastCost": 120 * single,
    }  # fmt: skip


async def test_two_metered_months_are_not_an_average(gql: GraphQLClient, runtime: Runtime) -> None:
    owner = await create_customer(runtime.db, now=runtime.clock.now())
    account, _ = await create_account(runtime.db, now=runtime.clock.now(), owner=owner)
    await _with_history(runtime, account.id, [100, 120])

    assert await _current_month(gql, await token_for(runtime, owner), account.id) is None


async def test_the_last_reading_this_month_sets_the_daily_pace(gql: GraphQLClient, runtime: Runtime) -> None:
    owner = await create_customer(runtime.db, now=runtime.clock.now())
    account, meter = await create_account(runtime.db, now=runtime.clock.now(), owner=owner)
    await _with_history(runtime, account.id, [100, 120, 140])  # the reading wins over the average
    # 310 kWh over the 31 days from 10-20 to 11-20: 10 a day; 26 days so far = 260, the whole month = 300
    await add_readings(
        runtime.db, meter, [(date(2026, 10, 20), 999_900), (date(2026, 11, 20), 210)], now=runtime.clock.now()
    )
    single = await rate(runtime.db, TODAY)

    found = await _current_month(gql, await token_for(runtime, owner), account.id)

    assert found == {
        "basedOn": "LAST_READING", "consumed": 260, "cost": 260 * single, "forecastConsumption": 300,
        "forecastCost": 300 * single,
    }  # fmt: skip


async def test_smart_meter_hours_priced_by_zone_and_extended_over_the_month(
    gql: GraphQLClient, runtime: Runtime
) -> None:
    owner = await create_customer(runtime.db, now=runtime.clock.now())
    account, meter = await create_account(runtime.db, now=runtime.clock.now(), owner=owner, zone_count=2)
    await add_readings(runtime.db, meter, [(date(2026, 10, 20), (100, 50)), (date(2026, 11, 20), (400, 150))],
                       now=runtime.clock.now())  # fmt: skip
    async with runtime.db.session() as session:
        stored = await session.get(Meter, meter.id)
        assert stored is not None
        stored.is_smart = True
        session.add(stored)
        assert meter.id is not None
        point = MeteringPoint(
            meter_id=meter.id, account_id=account.id, code=f"MP-{meter.id}", delivery_point_code="DP-1",
            address="г. Архангельск", connected_on=date(2026, 1, 1),
        )  # fmt: skip
        session.add(point)
        await session.flush()
        assert point.id is not None
        # 10 hours of 1 kWh from 02:00 Moscow time on 2 November: 02–06 night (5 kWh), 07–11 day (5 kWh);
        # and one hour of October, which is not this month's
        start = datetime(2026, 11, 1, 23, tzinfo=UTC)
        for offset in [*range(10), -30]:
            session.add(IsuHourlyProfile(metering_point_id=point.id, hour=start + timedelta(hours=offset),
                                         a_plus_wh=1_000))  # fmt: skip
        await session.commit()
    day, night = await rate(runtime.db, TODAY, 2, "DAY"), await rate(runtime.db, TODAY, 2, "NIGHT")

    found = await _current_month(gql, await token_for(runtime, owner), account.id)

    # each zone: 5 kWh in 612 hours → 5 × 720 / 612 = 5.88 → 6 for the month
    assert found == {
        "basedOn": "SMART_METER", "consumed": 10, "cost": 5 * day + 5 * night, "forecastConsumption": 12,
        "forecastCost": 6 * day + 6 * night,
    }  # fmt: skip


def test_the_zones_of_the_clock_hours() -> None:
    assert [zone_of_hour(zone_count=2, hour=h) for h in (6, 7, 22, 23)] == [
        TariffZone.NIGHT, TariffZone.DAY, TariffZone.DAY, TariffZone.NIGHT,
    ]  # fmt: skip
    assert [zone_of_hour(zone_count=3, hour=h) for h in (6, 7, 9, 10, 16, 17, 20, 21, 22, 23)] == [
        TariffZone.NIGHT, TariffZone.PEAK, TariffZone.PEAK, TariffZone.SEMI_PEAK, TariffZone.SEMI_PEAK,
        TariffZone.PEAK, TariffZone.PEAK, TariffZone.SEMI_PEAK, TariffZone.SEMI_PEAK, TariffZone.NIGHT,
    ]  # fmt: skip
    assert zone_of_hour(zone_count=1, hour=3) is TariffZone.SINGLE


@pytest.mark.parametrize(("caller", "expected"), matrix("NULL", "NULL", "OK", "OK", "OK", "OK"))
async def test_who_sees_the_current_month(gql: GraphQLClient, runtime: Runtime, caller: str, expected: str) -> None:
    callers = await make_callers(runtime)
    account, _ = await create_account(runtime.db, now=runtime.clock.now(), owner=callers.people["owner"])
    await _with_history(runtime, account.id, [100, 120, 140])

    found = await _current_month(gql, callers.tokens[caller], account.id)

    assert ("NULL" if found is None else "OK") == expected
    if expected == "OK":
        assert found["forecastConsumption"] == 120


CABINET = "{ me { personalAccounts { currentMonth { basedOn consumed cost forecastConsumption forecastCost } } } }"


async def test_current_month_of_many_accounts_costs_as_many_statements_as_of_one(
    gql: GraphQLClient, runtime: Runtime
) -> None:
    counts = []
    for accounts in (1, 3):
        owner = await create_customer(runtime.db, now=runtime.clock.now())
        for _ in range(accounts):
            account, _ = await create_account(runtime.db, now=runtime.clock.now(), owner=owner)
            await _with_history(runtime, account.id, [100, 120, 140])
        client = gql.as_token(await token_for(runtime, owner))
        await client.execute(CABINET)
        async with count_statements() as counter:
            data = await client.execute(CABINET)
        assert [a["currentMonth"]["consumed"] for a in data["me"]["personalAccounts"]] == [104] * accounts
        counts.append(counter[0])
    assert counts[0] == counts[1]

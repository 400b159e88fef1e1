"""`Meter.isu.series`: the profile at a resolution as packed arrays, for whoever may see the meter."""

from __future__ import annotations

from datetime import timedelta

import pytest

from loaders.isu import CHANNELS
from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase
from services.platform.runtime import Runtime
from tests.support.cabinet import global_id
from tests.support.callers import make_callers, matrix
from tests.support.graphql import GraphQLClient
from tests.support.isu import PROFILE_HOURS, PROFILE_START, create_smart_meter, hour_values

SERIES = """
query ($id: ID!, $from: DateTime!, $to: DateTime!, $resolution: IsuResolution!) {
  node(id: $id) { ... on Meter { isu { series(from: $from, to: $to, resolution: $resolution) {
    start resolution length aPlusWh aMinusWh rPlusVarh rMinusVarh hours
  } } } }
}
"""
NAMES = ("aPlusWh", "aMinusWh", "rPlusVarh", "rMinusVarh")


def _variables(meter_id: int, resolution: str, hours: int = PROFILE_HOURS) -> dict[str, str]:
    return {
        "id": global_id("Meter", meter_id),
        "from": PROFILE_START.isoformat(),
        "to": (PROFILE_START + timedelta(hours=hours)).isoformat(),
        "resolution": resolution,
    }


@pytest.mark.parametrize(("caller", "sees"), matrix(False, False, True, True, True, True))
async def test_the_series_is_served_to_whoever_may_see_the_meter(
    runtime: Runtime, gql: GraphQLClient, db: TransactionalDatabase, clock: FrozenClock, *, caller: str, sees: bool
) -> None:
    callers = await make_callers(runtime)
    smart = await create_smart_meter(db, now=clock.now(), owner=callers.people["owner"])

    body = await gql.as_token(callers.tokens[caller]).post(SERIES, _variables(smart.meter_id, "HOUR"))

    if not sees:
        assert body["data"] == {"node": None}
        return
    series = body["data"]["node"]["isu"]["series"]
    expected = [hour_values(index) for index in range(PROFILE_HOURS)]
    assert (series["start"], series["resolution"], series["length"]) == (PROFILE_START.isoformat(), "HOUR", 72)
    for position, name in enumerate(NAMES):
        assert series[name] == [None if values is None else values[position] for values in expected]
    assert series["hours"] == [0 if values is None else 1 for values in expected]


async def test_days_are_sums_of_their_hours_in_the_graph(
    runtime: Runtime, gql: GraphQLClient, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    callers = await make_callers(runtime)
    smart = await create_smart_meter(db, now=clock.now(), owner=callers.people["owner"])

    series = await gql.as_token(callers.tokens["owner"]).execute(SERIES, _variables(smart.meter_id, "DAY"))
    days = series["node"]["isu"]["series"]

    assert days["length"] == 3
    assert days["hours"] == [23, 24, 24]
    first_day = [values for index in range(24) if (values := hour_values(index)) is not None]
    assert days["aPlusWh"][0] == sum(values[0] for values in first_day)
    assert len(CHANNELS) == len(NAMES)


async def test_too_many_steps_are_refused(
    runtime: Runtime, gql: GraphQLClient, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    callers = await make_callers(runtime)
    smart = await create_smart_meter(db, now=clock.now(), owner=callers.people["owner"])

    body = await gql.as_token(callers.tokens["owner"]).post(SERIES, _variables(smart.meter_id, "HOUR", 24 * 367))

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

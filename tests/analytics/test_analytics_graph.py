"""`Query.analytics`: who may ask, and the aggregates in the graph equal the services' rows."""

from __future__ import annotations

from typing import Any

import pytest

from services.analytics.aggregates import debt_by_age_and_locality, load_curves
from services.analytics.filters import Filters
from services.analytics.rollups import refresh_rollups
from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase
from services.platform.runtime import Runtime
from tests.analytics.fixture import NOV, SEP, build_town
from tests.support.callers import make_callers, matrix
from tests.support.graphql import GraphQLClient

CHARGES = """
query ($filter: AnalyticsFilter!) { analytics { charges(filter: $filter) {
  period accounts chargedKopecks recalculatedKopecks
} } }
"""
EVERYTHING = """
query ($filter: AnalyticsFilter!) { analytics {
  consumption(filter: $filter) { period zone accounts volumeKwh }
  payments(filter: $filter) { period method payments amountKopecks }
  debt(filter: $filter) { locality age accounts debtKopecks }
  readingSources(filter: $filter) { period source readings meters }
  customersSubmitting(filter: $filter) { period customers submitting share }
  appeals(filter: $filter) { topic status appeals answered firstReplyP50Seconds firstReplyP90Seconds }
  loadCurves(filter: $filter) { season dayType hour hours averageAPlusWh }
} }
"""


def _filter(locality: str, **more: Any) -> dict[str, Any]:
    return {"filter": {"from": SEP.isoformat(), "to": NOV.isoformat(), "locality": locality, **more}}


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN", "ok", "ok", "FORBIDDEN"),
)
async def test_only_analysts_and_admins_read_the_aggregates(
    runtime: Runtime, gql: GraphQLClient, db: TransactionalDatabase, clock: FrozenClock, *, caller: str, expected: str
) -> None:
    town = await build_town(db, now=clock.now())
    await refresh_rollups(db=db, concurrently=False)
    callers = await make_callers(runtime)

    body = await gql.as_token(callers.tokens[caller]).post(CHARGES, _filter(town.locality))

    if expected == "ok":
        assert body["data"]["analytics"]["charges"] == [
            {"period": "2026-09-01", "accounts": 3, "chargedKopecks": 210_000, "recalculatedKopecks": 0},
            {"period": "2026-10-01", "accounts": 2, "chargedKopecks": 132_000, "recalculatedKopecks": -5_000},
        ]
    else:
        assert body["data"] is None
        assert [error["extensions"]["code"] for error in body["errors"]] == [expected]


async def test_every_aggregate_in_the_graph_equals_the_service(
    runtime: Runtime, gql: GraphQLClient, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    town = await build_town(db, now=clock.now())
    await refresh_rollups(db=db, concurrently=False)
    analyst = (await make_callers(runtime)).tokens["analyst"]

    data = (await gql.as_token(analyst).execute(EVERYTHING, _filter(town.locality)))["analytics"]

    filters = Filters(period_from=SEP, period_to=NOV, locality=town.locality)
    debt = await debt_by_age_and_locality(db=db, clock=clock, filters=filters)
    curves = await load_curves(db=db, filters=filters)
    assert data["debt"] == [
        {"locality": row.locality, "age": row.age.value, "accounts": row.accounts, "debtKopecks": row.debt_kopecks}
        for row in debt
    ]
    assert data["loadCurves"] == [
        {
            "season": row.season.value,
            "dayType": row.day_type.value,
            "hour": row.hour,
            "hours": row.hours,
            "averageAPlusWh": str(row.average_a_plus_wh),
        }
        for row in curves
    ]
    assert data["customersSubmitting"][1] == {
        "period": "2026-10-01",
        "customers": 3,
        "submitting": 1,
        "share": "0.3333",
    }
    assert data["appeals"][-1]["firstReplyP90Seconds"] == 37 * 60
    assert len(data["consumption"]) == 6
    assert [row["method"] for row in data["payments"]] == ["BANK", "CARD", "SBP"]
    assert {row["source"] for row in data["readingSources"]} == {"CONTROL_INSPECTION", "CUSTOMER", "UTILITY_PROVIDER"}


async def test_a_bad_period_is_a_clear_error(runtime: Runtime, gql: GraphQLClient) -> None:
    analyst = (await make_callers(runtime)).tokens["analyst"]

    body = await gql.as_token(analyst).post(CHARGES, {"filter": {"from": "2026-11-01", "to": "2026-09-01"}})

    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "reason": "INVALID_INPUT"}

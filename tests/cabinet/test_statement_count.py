"""The full cabinet query costs a fixed number of SQL statements, however many accounts and months it shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase, count_statements
from services.platform.runtime import Runtime
from tests.support.cabinet import create_cabinet_account, create_cabinet_contract, token_for
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient

CABINET_QUERY = (Path(__file__).parents[2] / "bench" / "cabinet.graphql").read_text()
ONE_MONTH = {"from": "2026-10-01", "to": "2026-10-31"}
TWO_YEARS = {"from": "2024-11-01", "to": "2026-10-01"}


async def _cabinet_of(
    gql: GraphQLClient,
    runtime: Runtime,
    db: TransactionalDatabase,
    clock: FrozenClock,
    *,
    accounts: int,
    contracts: int,
) -> str:
    customer = await create_customer(db, now=clock.now())
    for _ in range(accounts):
        await create_cabinet_account(db, now=clock.now(), owner=customer)
    for _ in range(contracts):
        await create_cabinet_contract(db, now=clock.now(), owner=customer)
    return await token_for(runtime, customer)


async def _statements(gql: GraphQLClient, token: str, period: dict[str, str]) -> tuple[int, dict[str, Any]]:
    # Once before counting: a connection prepares a statement (and asyncpg looks up a type) at its first use only,
    # and a server's connections live long; what must not grow with the data is what every request costs.
    await gql.as_token(token).execute(CABINET_QUERY, {"period": period})
    async with count_statements() as counter:
        data = await gql.as_token(token).execute(CABINET_QUERY, {"period": period})
    return counter[0], data


async def test_full_cabinet_of_ten_accounts_costs_as_many_statements_as_of_one(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    one = await _cabinet_of(gql, runtime, db, clock, accounts=1, contracts=1)
    ten = await _cabinet_of(gql, runtime, db, clock, accounts=10, contracts=3)

    # when
    statements_for_one, data_for_one = await _statements(gql, one, TWO_YEARS)
    statements_for_ten, data_for_ten = await _statements(gql, ten, TWO_YEARS)

    # then
    assert statements_for_ten == statements_for_one
    accounts = data_for_ten["me"]["personalAccounts"]
    assert len(accounts) == 10
    assert len(data_for_ten["me"]["contracts"]) == 3
    assert all(len(account["statements"]["edges"]) == 24 for account in accounts)
    assert all(len(account["readings"]["edges"]) == 48 for account in accounts)  # 24 months x 2 zones
    assert len(data_for_one["me"]["personalAccounts"]) == 1


async def test_full_cabinet_of_two_years_costs_as_many_statements_as_of_one_month(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: two sessions of one customer, so that neither request finds the other's session check cached
    customer = await create_customer(db, now=clock.now())
    for _ in range(2):
        await create_cabinet_account(db, now=clock.now(), owner=customer)
    await create_cabinet_contract(db, now=clock.now(), owner=customer)
    token, other_token = await token_for(runtime, customer), await token_for(runtime, customer)

    # when
    statements_for_month, data_for_month = await _statements(gql, token, ONE_MONTH)
    statements_for_years, data_for_years = await _statements(gql, other_token, TWO_YEARS)

    # then
    assert statements_for_years == statements_for_month
    month_account = data_for_month["me"]["personalAccounts"][0]
    years_account = data_for_years["me"]["personalAccounts"][0]
    assert [edge["node"]["period"] for edge in month_account["statements"]["edges"]] == ["2026-10-01"]
    assert len(years_account["statements"]["edges"]) == 24


async def _round_trips(gql: GraphQLClient, token: str, period: dict[str, str]) -> tuple[list[int], dict[str, Any]]:
    """The fewest of three requests after a first one (which prepares the connection's statements): statements are
    grouped by the turns of the event loop they meet in, and a busy machine may now and then split a level."""
    await gql.as_token(token).execute(CABINET_QUERY, {"period": period})
    counts = []
    for _ in range(3):
        async with count_statements() as counter:
            data = await gql.as_token(token).execute(CABINET_QUERY, {"period": period})
        counts.append(counter)
    return min(counts), data


async def test_full_cabinet_takes_at_most_eight_round_trips_for_one_or_fifty_accounts_and_one_or_24_months(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: the cabinet's own round trips (the cost budget's charge goes to Redis in production; here, with no
    # Redis, it would add the limiter's PostgreSQL fallback to the count)
    runtime.settings = runtime.settings.model_copy(update={"cost_budget": False})
    one = await _cabinet_of(gql, runtime, db, clock, accounts=1, contracts=1)
    fifty = await _cabinet_of(gql, runtime, db, clock, accounts=50, contracts=2)

    # when: counted at the protocol level (every message exchange with PostgreSQL, BEGIN/ROLLBACK included)
    one_month, _ = await _round_trips(gql, one, ONE_MONTH)
    two_years, _ = await _round_trips(gql, one, TWO_YEARS)
    fifty_two_years, data = await _round_trips(gql, fifty, TWO_YEARS)

    # then
    assert len(data["me"]["personalAccounts"]) == 50
    assert all(len(account["statements"]["edges"]) == 24 for account in data["me"]["personalAccounts"])
    assert one_month == two_years == fifty_two_years
    executed, round_trips = fifty_two_years
    assert executed == round_trips  # nothing prepared again, no statement outside the count
    assert round_trips <= 8

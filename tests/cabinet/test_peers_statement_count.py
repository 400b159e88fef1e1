"""The query of bench/peers.py (a customer → accounts with details, debt and provider → meters → 12 readings each)
costs one round trip, however many accounts the customer has: `me` and its whole subtree as one statement building
its JSON (schema/core/compiled/sql_tree.py)."""

from __future__ import annotations

from typing import Any

from bench.peers import PROJECT_QUERY
from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase, count_statements
from services.platform.runtime import Runtime
from tests.support.cabinet import create_cabinet_account, token_for
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient


async def _customer_with(db: TransactionalDatabase, runtime: Runtime, clock: FrozenClock, *, accounts: int) -> str:
    customer = await create_customer(db, now=clock.now())
    for _ in range(accounts):
        await create_cabinet_account(db, now=clock.now(), owner=customer)
    return await token_for(runtime, customer)


async def _round_trips(gql: GraphQLClient, token: str) -> tuple[list[int], dict[str, Any]]:
    """The fewest of three requests after a first one (which prepares the connection's statements and checks the
    session): statements are grouped by the turns of the event loop they meet in."""
    await gql.as_token(token).execute(PROJECT_QUERY)
    counts = []
    for _ in range(3):
        async with count_statements() as counter:
            data = await gql.as_token(token).execute(PROJECT_QUERY)
        counts.append(counter)
    return min(counts), data


async def test_peers_query_costs_one_round_trip_for_one_or_five_accounts(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: the query's own statements (with no Redis, the cost budget's charge would fall back to PostgreSQL)
    runtime.settings = runtime.settings.model_copy(update={"cost_budget": False})
    one = await _customer_with(db, runtime, clock, accounts=1)
    five = await _customer_with(db, runtime, clock, accounts=5)

    # when
    for_one, _ = await _round_trips(gql, one)
    for_five, data = await _round_trips(gql, five)

    # then
    accounts = data["me"]["personalAccounts"]
    assert len(accounts) == 5
    assert all(account["meters"] and account["meters"][0]["readings"]["edges"] for account in accounts)
    assert for_one == for_five == [1, 1]  # executed, round trips: nothing prepared again, no BEGIN/ROLLBACK

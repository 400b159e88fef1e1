"""Subtrees PostgreSQL answers as JSON (schema/core/compiled/sql_tree.py): the same answers as graphql-core's own
execution on the values where serializing in SQL could go wrong, in one statement for the whole subtree, and the
ordinary resolvers wherever the statement cannot answer exactly."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from graphql import GraphQLBoolean, GraphQLFloat, GraphQLInt, GraphQLString
from structlog.testing import capture_logs

from loaders.registry import Loaders
from loaders.sql_trees import RESOLVE, SqlTrees
from schema.core.compiled.sql_tree import Compiler, NotCompiled, SqlTree
from services.platform.clock import FrozenClock
from services.platform.database import Database, TransactionalDatabase, count_statements, run
from services.platform.runtime import Runtime
from tests.support.cabinet import CabinetAccount, create_cabinet_account, token_for
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient

ACCOUNTS = """
query Accounts {
  me {
    personalAccounts {
      __typename id number areaM2 closedOn openedOn inApartmentBuilding objectKind tariffCategory
      provider: utilityProvider { name inn phone }
      debt { electricity penalty stateDuty total updatedAt __typename }
      meters {
        ...meter
        latest: readings(first: 1) { __typename edges { node { value } } }
        none: readings(first: 0) { edges { node { id } } }
      }
    }
  }
}
fragment meter on Meter {
  id serial removedOn verificationDueOn isSmart zoneCount
  readings(first: 12) { edges { __typename node { id zone value takenOn period source status } } }
}
"""


@pytest.fixture(autouse=True)
def _no_cost_budget(runtime: Runtime) -> None:
    """The queries' own statements only (with no Redis, the budget's charge would fall back to PostgreSQL)."""
    runtime.settings = runtime.settings.model_copy(update={"cost_budget": False})


async def _set_latest_reading(db: TransactionalDatabase, meter_id: int | None, assignment: str) -> None:
    """Change the meter's latest accepted reading (`assignment`: an SQL SET list)."""
    await _sql(
        db,
        f"UPDATE reading SET {assignment} WHERE id = (SELECT max(id) FROM reading WHERE meter_id = :meter "
        "AND status = 'ACCEPTED')",
        meter=meter_id,
    )


async def _sql(db: TransactionalDatabase, statement: str, **params: Any) -> None:
    async with db.session() as session:
        await run(session, sa.text(statement), params)
        await session.commit()  # the savepoint of the test's transaction


async def _customer(
    db: TransactionalDatabase, clock: FrozenClock, *, accounts: int
) -> tuple[Any, list[CabinetAccount]]:
    customer = await create_customer(db, now=clock.now())
    made = [await create_cabinet_account(db, now=clock.now(), owner=customer, months=3) for _ in range(accounts)]
    return customer, made


async def _answer(gql: GraphQLClient, query: str) -> tuple[dict[str, Any], list[int]]:
    """The answer (compared with graphql-core's, whatever the suite compared before) and its round trips."""
    return await _answer_with(gql, query, None)


async def _answer_with(
    gql: GraphQLClient, query: str, variables: dict[str, Any] | None
) -> tuple[dict[str, Any], list[int]]:
    """As `_answer`, with variables. No statement may have failed: one that fails is resolved the ordinary way, and
    graphql-core's answer would not tell."""
    with capture_logs() as logs:
        await gql.post(query, variables)  # statements prepared, the session checked
        async with count_statements() as counter:
            body = await gql.post(query, variables)
    assert [log for log in logs if log["event"].startswith("sql tree failed")] == []
    await gql.compare_with_graphql_core(query, variables, body)
    return body, counter


async def test_a_subtree_answers_as_graphql_core_in_one_statement(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: values SQL must serialize as Python does, and rows the subtree must leave out
    customer, (first, second) = await _customer(db, clock, accounts=2)
    await _sql(db, "INSERT INTO utility_provider (name, inn, phone) VALUES ('ТСЖ «Ромашка''s»', NULL, '+78182000000')")
    await _sql(
        db,
        "UPDATE personal_account SET area_m2 = 45.50, closed_on = '2026-11-30', "
        "utility_provider_id = (SELECT max(id) FROM utility_provider) WHERE id = :id",
        id=first.account.id,
    )
    await _sql(
        db,
        "UPDATE account_debt SET updated_at = '2026-11-26 09:00:00.0405+00' WHERE account_id = :id",
        id=first.account.id,
    )
    await _sql(db, "DELETE FROM account_debt WHERE account_id = :id", id=second.account.id)  # never billed
    await _sql(
        db,
        "UPDATE reading SET status = 'REJECTED' WHERE id = (SELECT max(id) FROM reading WHERE meter_id = :meter)",
        meter=first.meters[0].id,
    )
    await _sql(  # a second meter, without readings, and a removed one
        db,
        "INSERT INTO meter (account_id, serial, model, zone_count, digits, is_smart, installed_on, removed_on) VALUES "
        "(:id, '1', 'CE 102', 1, 6, true, '2030-01-01', NULL), (:id, '2', 'CE 102', 1, 6, false, '2019-01-01', "
        "'2024-01-01')",
        id=first.account.id,
    )
    token = await token_for(runtime, customer)

    # when
    body, round_trips = await _answer(gql.as_token(token), ACCOUNTS)

    # then: graphql-core's answer (compared above), `me` and all under it in one round trip
    assert "errors" not in body
    accounts = body["data"]["me"]["personalAccounts"]
    assert [account["number"] for account in accounts] == sorted([first.account.number, second.account.number])
    by_number = {account["number"]: account for account in accounts}
    billed, unbilled = by_number[first.account.number], by_number[second.account.number]
    assert billed["areaM2"] == "45.50"
    assert billed["provider"] == {"name": "ТСЖ «Ромашка's»", "inn": None, "phone": "+78182000000"}
    assert billed["debt"]["updatedAt"] == "2026-11-26T09:00:00.040500+00:00"
    assert unbilled["debt"] == {
        "electricity": 0, "penalty": 0, "stateDuty": 0, "total": 0, "updatedAt": None, "__typename": "Debt"
    }  # fmt: skip
    assert [meter["serial"] for meter in billed["meters"]] == [first.meters[0].serial, "1"]
    assert billed["meters"][1]["readings"] == {"edges": []}
    assert all(edge["node"]["status"] == "ACCEPTED" for edge in billed["meters"][0]["readings"]["edges"])
    assert len(billed["meters"][0]["latest"]["edges"]) == 1
    assert billed["meters"][0]["none"] == {"edges": []}
    assert round_trips == [1, 1]


async def test_an_int_out_of_range_is_resolved_the_ordinary_way(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: a register value no GraphQL Int can hold (the column is a bigint)
    customer, (account,) = await _customer(db, clock, accounts=1)
    await _set_latest_reading(db, account.meters[0].id, "value = 3000000000")

    # when
    body, _ = await _answer(gql.as_token(await token_for(runtime, customer)), ACCOUNTS)

    # then: graphql-core's own error at that value's path, null up to the nearest nullable field (`me`)
    assert [error["message"] for error in body["errors"]] == [
        "Int cannot represent non 32-bit signed integer value: 3000000000"
    ]
    assert body["errors"][0]["path"][-3:] == [0, "node", "value"]
    assert body["data"] == {"me": None}


async def test_a_selection_it_cannot_answer_keeps_the_resolvers(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: a meter's submitted readings are not declared in SQL, its accepted ones are
    customer, _ = await _customer(db, clock, accounts=1)
    query = """
    query Undeclared {
      me { personalAccounts { number meters { zones readingSubmissions(first: 2) { edges { node { status } } }
        readings(first: 2) { pageInfo { hasNextPage } edges { cursor node { value } } } } } }
    }
    """

    # when
    body, round_trips = await _answer(gql.as_token(await token_for(runtime, customer)), query)

    # then: the resolvers' answer, level by level (the meter's readings page still one statement of its level)
    meter = body["data"]["me"]["personalAccounts"][0]["meters"][0]
    assert meter["readings"]["pageInfo"] == {"hasNextPage": True}
    assert all(edge["cursor"] for edge in meter["readings"]["edges"])
    assert round_trips[0] > 1


async def test_a_stored_value_the_enum_does_not_know_is_resolved_the_ordinary_way(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: a reading source written by something else than this server (the column is text)
    customer, (account,) = await _customer(db, clock, accounts=1)
    await _set_latest_reading(db, account.meters[0].id, "source = 'PIGEON'")

    # when
    body, _ = await _answer(gql.as_token(await token_for(runtime, customer)), ACCOUNTS)

    # then: the resolvers' answer (compared with graphql-core's above): the meter's readings fail to load, no reading
    # is answered with a null or a made-up source
    assert [error["path"][-3:] for error in body["errors"]] == [["meters", 0, "readings"]]


async def test_a_debt_beyond_bigint_answers_the_resolvers_sum(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: amounts whose sum a bigint cannot hold (Python's can; the total is summed as numeric in SQL)
    customer, (account,) = await _customer(db, clock, accounts=1)
    await _sql(
        db,
        "UPDATE account_debt SET electricity = 9000000000000000000, penalty = 9000000000000000000 "
        "WHERE account_id = :id",
        id=account.account.id,
    )

    # when
    body, round_trips = await _answer(
        gql.as_token(await token_for(runtime, customer)), "{ me { personalAccounts { debt { electricity total } } } }"
    )

    # then: graphql-core's answer (compared above), from the one statement
    assert body["data"]["me"]["personalAccounts"][0]["debt"]["total"] == 18_000_000_000_000_000_000
    assert round_trips == [1, 1]


async def test_the_trees_of_one_level_go_in_one_round_trip(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: accounts answered by their resolvers (currentTariffs, today's rates, is not declared), three subtrees in
    # SQL under each
    customer, _ = await _customer(db, clock, accounts=2)
    query = """
    query Level { me { personalAccounts {
      currentTariffs { __typename } debt { total } utilityProvider { name } meters { serial }
    } } }
    """

    # when
    _, round_trips = await _answer(gql.as_token(await token_for(runtime, customer)), query)

    # then: the customer with the linked accounts; the accounts' meters (for their tariffs) and the three trees
    # together; the tariffs
    assert round_trips == [3, 3]


async def test_me_by_its_resolver_starts_the_accounts_statement_in_its_own_round_trip(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: `me` answered by its resolver (pseudonymousKey is not declared), its accounts in SQL
    customer, made = await _customer(db, clock, accounts=2)

    # when
    body, round_trips = await _answer(
        gql.as_token(await token_for(runtime, customer)), "{ me { pseudonymousKey personalAccounts { number } } }"
    )

    # then: the accounts' statement went beside the customer's row
    assert len(body["data"]["me"]["personalAccounts"]) == len(made)
    assert round_trips == [1, 1]


async def test_a_tree_whose_statement_fails_is_resolved_the_ordinary_way(plain_db: Database) -> None:
    # given: two trees of one level, one of which PostgreSQL refuses (on a production-like read connection)
    loaders = Loaders(plain_db)
    good = SqlTree(
        "SELECT p.id, json_build_object('id', p.id)::text FROM unnest($1::bigint[]) AS p(id)", "row_id", False
    )
    bad = SqlTree("SELECT p.id, (1 / (p.id - p.id))::text FROM unnest($1::bigint[]) AS p(id)", "row_id", False)

    # when
    async with plain_db.read_scope():
        answers = await loaders.get(SqlTrees).load_many([(good, 1), (bad, 1), (good, 2)])

    # then: the good tree's JSON as it came, the failed one left to the resolvers
    assert orjson.dumps(answers[0]) == b'{"id" : 1}'
    assert answers[1] is RESOLVE
    assert orjson.dumps(answers[2]) == b'{"id" : 2}'


def test_only_declared_pairs_of_column_and_type_are_compiled() -> None:
    # given: a compiler and columns of each kind
    compiler = Compiler(lambda *_: {})
    table = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("small", sa.Integer),
        sa.Column("big", sa.BigInteger),
        sa.Column("text", sa.String),
        sa.Column("flag", sa.Boolean),
        sa.Column("at", sa.DateTime(timezone=True)),
        sa.Column("local", sa.DateTime(timezone=False)),
    )

    # then: as they are, an Int from a bigint checked (out of range: the mark), the others refused
    assert compiler.column(table.c.small, GraphQLInt, "x") == "x"
    assert not compiler.marked
    assert compiler.column(table.c.big, GraphQLInt, "x") == (
        "CASE WHEN x BETWEEN -2147483648 AND 2147483647 THEN to_json(x) "
        "ELSE CASE WHEN x IS NULL THEN NULL::json ELSE E'\"\\\\u0001\"'::json END END"
    )
    assert compiler.marked
    assert compiler.column(table.c.text, GraphQLString, "x") == "x"
    assert compiler.column(table.c.flag, GraphQLBoolean, "x") == "x"
    refused = [
        (table.c.text, GraphQLInt),
        (table.c.small, GraphQLFloat),
        (table.c.at, GraphQLString),
        (table.c.local, table.c.at.type),  # not a GraphQL type at all
    ]
    for column, graphql_type in refused:
        with pytest.raises(NotCompiled):
            compiler.column(column, graphql_type, "x")


PAGES = """
query Pages($period: PeriodFilter, $first: Int) { me { personalAccounts {
  number address
  statements(period: $period, first: $first) {
    __typename
    pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
    edges { __typename cursor node {
      id period openingBalance charged recalculated paid penalty closingBalance issuedOn dueOn pdfAvailable
      charges { id period zone kind basis volume rate amount recalculatedPeriod }
      recalculations { id amount recalculatedPeriod }
      payments { id amount paidAt createdAt method status confirmationUrl }
    } }
  }
  payments(period: $period, first: $first) {
    pageInfo { hasNextPage startCursor endCursor }
    edges { cursor node { id createdAt paidAt amount electricity penalty stateDuty method status confirmationUrl } }
  }
  readings(period: $period, first: $first) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id zone value takenOn period source status meter { id serial } } }
  }
} } }
"""


async def test_pages_with_their_arguments_cursors_and_page_info_are_answered_in_one_statement(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: payments at the edge of a local month (Moscow's midnight is 21:00 UTC the day before), instants with
    # and without microseconds (a cursor carries them as orjson writes them), a pending payment's link
    customer, (first, _) = await _customer(db, clock, accounts=2)
    await _sql(
        db,
        "INSERT INTO payment (account_id, amount, electricity, penalty, state_duty, method, status, provider, "
        "confirmation_url, created_at, paid_at) VALUES "
        "(:id, 100, 100, 0, 0, 'CARD', 'SUCCEEDED', 'test', NULL, '2026-09-30 21:00:00+00', '2026-09-30 21:00:00+00'), "
        "(:id, 200, 200, 0, 0, 'CARD', 'SUCCEEDED', 'test', NULL, '2026-09-30 20:59:59.999999+00', "
        "'2026-09-30 20:59:59.999999+00'), "
        "(:id, 300, 300, 0, 0, 'SBP', 'PENDING', 'test', 'https://pay.example/1', '2026-10-02 09:00:00.5+00', NULL)",
        id=first.account.id,
    )
    # and an address carrying what a cursor's payload looks like in the statement's text (its nonce aside)
    await _sql(
        db,
        "UPDATE personal_account SET address = :text WHERE id = :id",
        text='\x02["2026-10-01",1]',
        id=first.account.id,
    )
    token = await token_for(runtime, customer)
    period = {"from": "2026-08-01", "to": "2026-10-01"}

    # when
    body, round_trips = await _answer_with(gql.as_token(token), PAGES, {"period": period, "first": 2})

    # then: graphql-core's answer (compared above), `me` and everything under it in one round trip
    assert "errors" not in body
    account = next(a for a in body["data"]["me"]["personalAccounts"] if a["number"] == first.account.number)
    statements = account["statements"]
    assert [edge["node"]["period"] for edge in statements["edges"]] == ["2026-10-01", "2026-09-01"]
    assert statements["pageInfo"]["hasNextPage"] is True
    assert statements["pageInfo"]["hasPreviousPage"] is False
    assert statements["pageInfo"]["endCursor"] == statements["edges"][-1]["cursor"]
    october, september = (edge["node"] for edge in statements["edges"])
    assert 100 in [payment["amount"] for payment in october["payments"]]  # 00:00 local on the 1st: October's
    assert 200 in [payment["amount"] for payment in september["payments"]]
    pending = [edge["node"] for edge in account["payments"]["edges"] if edge["node"]["status"] == "PENDING"]
    assert [payment["confirmationUrl"] for payment in pending] == ["https://pay.example/1"]
    assert all(edge["node"]["meter"]["serial"] for edge in account["readings"]["edges"])
    assert account["address"] == '\x02["2026-10-01",1]'
    assert round_trips == [1, 1]


async def test_a_page_after_a_cursor_made_in_sql_is_the_next_one(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: the first page's end cursor, signed by PostgreSQL
    customer, _ = await _customer(db, clock, accounts=1)
    client = gql.as_token(await token_for(runtime, customer))
    first_page, _ = await _answer_with(client, PAGES, {"first": 1})
    account = first_page["data"]["me"]["personalAccounts"][0]
    query = """
    query After($statements: String, $payments: String) { me { personalAccounts {
      statements(first: 1, after: $statements) { edges { node { period } } }
      payments(first: 1, after: $payments) { edges { node { createdAt } } }
    } } }
    """
    cursors = {
        "statements": account["statements"]["pageInfo"]["endCursor"],
        "payments": account["payments"]["pageInfo"]["endCursor"],
    }

    # when: the resolvers read pages after a cursor
    after = (await client.execute(query, cursors))["me"]["personalAccounts"][0]
    both, _ = await _answer_with(client, PAGES, {"first": 2})

    # then: they take the cursors and answer the second rows of the two-row pages
    two = both["data"]["me"]["personalAccounts"][0]
    assert after["statements"]["edges"] == [{"node": {"period": two["statements"]["edges"][1]["node"]["period"]}}]
    assert after["payments"]["edges"] == [{"node": {"createdAt": two["payments"]["edges"][1]["node"]["createdAt"]}}]


@pytest.mark.parametrize(
    "case",
    [
        ({"first": 101}, "Параметр first должен быть от 0 до 100"),
        ({"first": -1}, "Параметр first должен быть от 0 до 100"),
        ({"period": {"from": "2026-10-01", "to": "2026-08-01"}}, "Начало периода должно быть не позже его конца"),
    ],
)
async def test_arguments_the_resolver_refuses_are_its_errors(
    gql: GraphQLClient,
    runtime: Runtime,
    db: TransactionalDatabase,
    clock: FrozenClock,
    case: tuple[dict[str, Any], str],
) -> None:
    variables, message = case
    customer, _ = await _customer(db, clock, accounts=1)

    body, _ = await _answer_with(gql.as_token(await token_for(runtime, customer)), PAGES, variables)

    # graphql-core's errors and paths (compared above): the resolver's refusal, not an answer from SQL
    assert {error["message"] for error in body["errors"]} == {message}
    assert body["errors"][0]["path"][-1] == "statements"


async def test_an_empty_page_and_a_page_of_none(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    customer, _ = await _customer(db, clock, accounts=1)
    client = gql.as_token(await token_for(runtime, customer))

    none, none_round_trips = await _answer_with(client, PAGES, {"first": 0})
    empty, empty_round_trips = await _answer_with(client, PAGES, {"period": {"from": "2020-01-01", "to": "2020-02-01"}})

    # graphql-core's answers (compared above): no edges, no cursors; a next page only where rows are left
    statements = none["data"]["me"]["personalAccounts"][0]["statements"]
    assert statements["edges"] == []
    assert statements["pageInfo"] == {
        "__typename": "PageInfo", "hasNextPage": True, "hasPreviousPage": False, "startCursor": None, "endCursor": None
    }  # fmt: skip
    assert empty["data"]["me"]["personalAccounts"][0]["statements"]["pageInfo"]["hasNextPage"] is False
    assert empty["data"]["me"]["personalAccounts"][0]["payments"]["edges"] == []
    assert none_round_trips == empty_round_trips == [1, 1]  # answered in SQL


async def test_a_meters_zones_and_last_readings_keep_the_zones_order(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: a three-zone meter (shown PEAK, SEMI_PEAK, NIGHT: not in the alphabet's order), its latest NIGHT reading
    # rejected, and no SEMI_PEAK reading at all
    customer = await create_customer(db, now=clock.now())
    made = await create_cabinet_account(db, now=clock.now(), owner=customer, months=3, zone_count=3)
    meter_id = made.meters[0].id
    await _sql(
        db,
        "UPDATE reading SET status = 'REJECTED' WHERE id = (SELECT max(id) FROM reading WHERE meter_id = :meter "
        "AND zone = 'NIGHT')",
        meter=meter_id,
    )
    await _sql(db, "DELETE FROM reading WHERE meter_id = :meter AND zone = 'SEMI_PEAK'", meter=meter_id)
    query = """
    { me { personalAccounts {
      lastCharges { id period zone kind amount }
      meters { zoneCount zones lastReadings { id zone value takenOn status } }
    } } }
    """

    # when
    body, round_trips = await _answer(gql.as_token(await token_for(runtime, customer)), query)

    # then: graphql-core's answer (compared above), in one statement
    meter = body["data"]["me"]["personalAccounts"][0]["meters"][0]
    assert meter["zones"] == ["PEAK", "SEMI_PEAK", "NIGHT"]
    assert [reading["zone"] for reading in meter["lastReadings"]] == ["PEAK", "NIGHT"]
    assert {charge["period"] for charge in body["data"]["me"]["personalAccounts"][0]["lastCharges"]} == {"2026-10-01"}
    assert round_trips == [1, 1]

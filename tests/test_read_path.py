"""The read path of loaders: plain asyncpg statements on a pooled connection, no transaction, one connection per
request, counted at the protocol level."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from loaders.identity import CustomerById
from loaders.objects import AccountById
from services.platform.database import Database, count_statements
from services.platform.statement_batches import _columns


async def _some_account_ids(db: Database) -> list[int]:
    rows = await db.fetch("SELECT id FROM personal_account ORDER BY id LIMIT 3")
    return [row["id"] for row in rows]


async def test_a_loader_batch_is_one_statement_without_begin_or_rollback(plain_db: Database) -> None:
    ids = await _some_account_ids(plain_db)

    # The first use prepares the statement on the connection (and asyncpg looks up the types it has not seen yet).
    accounts = await AccountById(plain_db).load_many(ids)
    async with count_statements() as warm:
        again = await AccountById(plain_db).load_many(list(reversed(ids)))

    assert [account.id for account in accounts] == ids
    assert [account.number for account in reversed(again)] == [account.number for account in accounts]
    # Then a batch is one round trip: the statement alone, no BEGIN, no ROLLBACK, no prepare.
    assert warm == [1, 1]


async def test_rows_read_by_attribute_with_enum_members(plain_db: Database) -> None:
    ids = await _some_account_ids(plain_db)

    account = (await AccountById(plain_db).load_many(ids))[0]

    assert type(account.object_kind).__name__ == "ObjectKind"
    assert account.object_kind.value == account["object_kind"]
    assert getattr(account, "no_such_column", None) is None


async def test_reads_of_one_request_share_one_connection(plain_db: Database) -> None:
    async with plain_db.read_scope():
        first = await plain_db.fetch("SELECT pg_backend_pid() AS pid")
        customers = await CustomerById(plain_db).load_many([1, 2])
        second = await plain_db.fetch("SELECT pg_backend_pid() AS pid")
        third = await asyncio.create_task(plain_db.fetch("SELECT pg_backend_pid() AS pid"))

    assert first[0]["pid"] == second[0]["pid"] == third[0]["pid"]
    assert len(customers) == 2
    pool = await plain_db.read_pool()
    assert pool.get_idle_size() == pool.get_size()  # given back at the end of the scope


async def test_many_concurrent_requests_wait_for_the_pool_instead_of_failing(plain_db: Database) -> None:
    ids = await _some_account_ids(plain_db)
    pool = await plain_db.read_pool()
    pids: set[int] = set()

    async def request() -> None:
        async with plain_db.read_scope():
            await AccountById(plain_db).load_many(ids)
            pids.add((await plain_db.fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"])

    await asyncio.gather(*(request() for _ in range(16)))

    # 16 requests at once on a pool of 2: they took turns on the same two connections, none was opened per request.
    assert len(pids) <= 2
    assert pool.get_size() <= 2


async def test_statements_that_meet_go_as_one_round_trip_with_the_same_rows(plain_db: Database) -> None:
    ids = await _some_account_ids(plain_db)
    alone = await AccountById(plain_db).load_many(ids)
    customers_alone = await CustomerById(plain_db).load_many([1, 2, 3])

    async with plain_db.read_scope():
        # warm: the merged text is prepared and the statements' column names learnt once per connection / process
        await asyncio.gather(AccountById(plain_db).load_many(ids), CustomerById(plain_db).load_many([1, 2, 3]))
        async with count_statements() as counter:
            together, customers = await asyncio.gather(
                AccountById(plain_db).load_many(ids), CustomerById(plain_db).load_many([1, 2, 3])
            )

    assert counter == [1, 1]
    assert [tuple(row) for row in together] == [tuple(row) for row in alone]
    assert [(c.id, c.phone, c.role) for c in customers] == [(c.id, c.phone, c.role) for c in customers_alone]
    assert together[0].object_kind is alone[0].object_kind  # enum members in both
    assert together[0]["number"] == alone[0]["number"]


async def test_a_wrong_statement_fails_alone_when_merged(plain_db: Database) -> None:
    ids = await _some_account_ids(plain_db)

    async with plain_db.read_scope():
        results: list[Any] = await asyncio.gather(
            AccountById(plain_db).load_many(ids),
            plain_db.fetch("SELECT 1 / (count(*) - count(*)) AS boom FROM customer"),
            return_exceptions=True,
        )
    good, bad = results

    assert isinstance(bad, asyncpg.DataError)  # division by zero reaches the one who asked
    assert isinstance(good, list)
    assert [account.id for account in good] == ids


async def test_merged_statements_answer_the_rows_each_answers_alone_whatever_their_columns(plain_db: Database) -> None:
    # Plain scalars go as one array per column; an array column, a record column or a name used twice go as an array
    # of records; no row, nulls and enum columns come back as they do alone.
    ids = await _some_account_ids(plain_db)
    statements = [
        (
            "SELECT id, number, object_kind, NULL::date AS nothing FROM personal_account WHERE id = ANY($1) "
            "ORDER BY id DESC",
            (ids,),
        ),
        ("SELECT id, ARRAY[id, id + 1] AS pair FROM personal_account WHERE id = ANY($1) ORDER BY id", (ids,)),
        ("SELECT id, id FROM personal_account WHERE id = ANY($1) ORDER BY id", (ids,)),
        ("SELECT id, ROW(id, number) AS both_ FROM personal_account WHERE id = ANY($1) ORDER BY id", (ids,)),
        ("SELECT id, number FROM personal_account WHERE id = ANY($1) AND false", (ids,)),
        ("SELECT $1::text AS word, $2::int AS n", ('a"b', 7)),
    ]
    alone = [[tuple(row) for row in await plain_db.fetch(sql, *args)] for sql, args in statements]

    async with plain_db.read_scope():
        await asyncio.gather(*(plain_db.fetch(sql, *args) for sql, args in statements))  # warm: prepared once
        async with count_statements() as counter:
            together = await asyncio.gather(*(plain_db.fetch(sql, *args) for sql, args in statements))

    assert counter == [1, 1]
    assert [[tuple(row) for row in rows] for rows in together] == alone
    assert together[0][0]["number"] == together[0][0].number == alone[0][0][1]
    assert together[0][0].nothing is None
    assert together[4] == []
    assert [_columns[sql].as_arrays for sql, _ in statements] == [True, False, False, False, True, True]


async def test_read_connections_plan_their_statements_once(plain_db: Database) -> None:
    # A loader's statement is the same text with other ids every time: its generic plan, not a new plan per execution.
    rows = await plain_db.fetch("SELECT current_setting('plan_cache_mode') AS mode")

    assert rows[0]["mode"] == "force_generic_plan"


async def test_a_statement_alone_gives_the_rows_a_merged_one_gives(plain_db: Database) -> None:
    """A loader's rows are the same tuples read by attribute and by name whether its statement went alone or merged."""
    ids = await _some_account_ids(plain_db)
    alone = await AccountById(plain_db).load_many(ids)
    async with plain_db.read_scope():
        together = await asyncio.gather(AccountById(plain_db).load_many(ids), CustomerById(plain_db).load_many([1]))
    merged: list[Any] = together[0]
    assert [type(row).__mro__[1] for row in alone] == [type(row).__mro__[1] for row in merged]
    assert [tuple(row) for row in alone] == [tuple(row) for row in merged]
    assert [(row.id, row["number"], row.object_kind) for row in alone] == [
        (row.id, row["number"], row.object_kind) for row in merged
    ]


async def test_a_prefetch_joins_the_batch_of_its_turn_and_its_failure_is_not_left_unretrieved(
    plain_db: Database,
) -> None:
    ids = await _some_account_ids(plain_db)
    batches: list[list[int]] = []

    class Recorded(AccountById):
        async def batch_load_fn(self, keys: list[int]) -> list[Any]:
            batches.append(list(keys))
            return await super().batch_load_fn(keys)

    loader = Recorded(plain_db)
    loader.prefetch(ids[:2])
    rows = await loader.load_many(ids)
    assert [row.id for row in rows] == ids
    assert batches == [ids]  # the prefetched keys went in the same batch as the others

    class Broken(AccountById):
        async def batch_load_fn(self, keys: list[int]) -> list[Any]:
            raise RuntimeError("the database went away")

    broken = Broken(plain_db)
    broken.prefetch([1])
    future = broken.load(1)
    await asyncio.wait([future])
    assert future.done()
    assert future._log_traceback is False  # type: ignore[attr-defined]  # retrieved: nothing logged at collection

"""A request leaves nothing to the garbage collector: what it read is freed when it ends (issue 15).

Held in a reference cycle, a request's loaders, rows and futures outlived it until the collector's next pass, and
those passes cost about a tenth of a cabinet request's CPU. Reference counting frees them now; these tests look for
the request's objects among what the collector finds unreachable.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from loaders.base import Loader
from loaders.identity import CustomerById
from loaders.objects import AccountById
from loaders.registry import Loaders
from schema.core.compiled.executor import CompiledExecutionContext
from services.platform import database
from services.platform.clock import FrozenClock
from services.platform.database import Database, TransactionalDatabase
from services.platform.runtime import Runtime
from services.platform.statement_batches import MergedRow, StatementQueue
from tests.support.cabinet import create_cabinet_account, token_for
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient

CABINET_QUERY = (Path(__file__).parents[1] / "bench" / "cabinet.graphql").read_text()
REQUEST_OBJECTS: tuple[type[Any], ...] = (
    Loaders,
    Loader,
    CompiledExecutionContext,
    MergedRow,
    StatementQueue,
    database._ReadLease,  # the request's read connection
)


@contextmanager
def _unreachable() -> Iterator[list[Any]]:
    """What became unreachable in reference cycles inside the block (the collector off while it runs)."""
    found: list[Any] = []
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield found
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()


def _of_the_request(found: list[Any]) -> list[str]:
    return sorted({type(item).__qualname__ for item in found if isinstance(item, REQUEST_OBJECTS)})


@pytest.fixture(autouse=True)
def _no_cost_budget(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(update={"cost_budget": False})


async def test_a_cabinet_request_leaves_its_loaders_rows_and_execution_to_reference_counting(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: a customer with a cabinet of two accounts, asked for once (statements prepared, the session checked)
    customer = await create_customer(db, now=clock.now())
    for _ in range(2):
        await create_cabinet_account(db, now=clock.now(), owner=customer, months=3)
    client = gql.as_token(await token_for(runtime, customer))
    period = {"from": "2026-08-01", "to": "2026-10-01"}
    first = await client.execute(CABINET_QUERY, {"period": period})
    assert len(first["me"]["personalAccounts"]) == 2

    # when
    with _unreachable() as found:
        again = await client.execute(CABINET_QUERY, {"period": period})

    # then: the same answer, and none of the request's objects waited for the collector
    assert again == first
    assert _of_the_request(found) == []


async def test_a_read_scope_leaves_its_connection_lease_and_loaders_to_reference_counting(plain_db: Database) -> None:
    async def request() -> None:
        async with plain_db.read_scope():
            loaders = Loaders(plain_db)
            accounts = loaders.get(AccountById)
            customers = loaders.get(CustomerById)
            loaded = await asyncio.gather(accounts.load_many([1, 2, 3]), customers.load_many([1, 2]))
            assert len(loaded) == 2

    await request()  # statements prepared on the pool's connection

    with _unreachable() as found:
        await request()

    assert _of_the_request(found) == []

"""Loading the demo data set into an empty database."""

from __future__ import annotations

from sqlalchemy import text

from services.demo.bulk import (
    TABLES_WITH_ID,
    IdCounters,
    Rows,
    lock_tables,
    move_sequences_past_rows,
    transaction,
)
from services.demo.people import PASSWORDS, hash_passwords
from services.demo.periods import DemoCalendar
from services.demo.scenario import build_demo
from services.demo.summary import DemoSummary
from services.platform.clock import Clock
from services.platform.database import Database

_HAS_CUSTOMERS = text("SELECT EXISTS (SELECT 1 FROM customer)")


class DatabaseNotEmptyError(RuntimeError):
    """The demo data goes into an empty database only: it would clash with (and confuse) real data."""


async def database_is_empty(*, db: Database) -> bool:
    """No customers yet: the state right after the migrations."""
    async with db.connection() as connection:
        return not (await connection.execute(_HAS_CUSTOMERS)).scalar_one()


async def load_demo_data(*, db: Database, clock: Clock) -> DemoSummary:
    """Load the demo data set as it stands at `clock.now()`, in one transaction; the same moment gives the same rows.

    Raises DatabaseNotEmptyError when customers exist, including when another process loaded the data a moment ago
    (the loader locks the tables first, so a second one waits for the first and then finds the data there).
    """
    calendar = DemoCalendar.at(clock.now())
    password_hashes = await hash_passwords(PASSWORDS)
    rows = Rows()
    async with db.connection() as connection, transaction(connection):
        await lock_tables(connection)
        if (await connection.execute(_HAS_CUSTOMERS)).scalar_one():
            raise DatabaseNotEmptyError("the database already has customers; the demo data goes into an empty one")
        ids = await IdCounters.after_existing(connection)
        build_demo(rows, ids, calendar=calendar, password_hashes=password_hashes)
        await rows.copy_into(connection)
        await move_sequences_past_rows(connection, TABLES_WITH_ID)
    return DemoSummary.from_counts(rows.counts())

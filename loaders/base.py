"""The base of every loader: batches keys of one tick into one SQL statement, on its own session."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import Executable, ScalarResult, Select

from services.platform.database import Database, run

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Loader(DataLoader[K, V], Generic[K, V]):
    """Subclasses implement `batch_load_fn(keys) -> values in key order`."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def rows(self, statement: Executable) -> Sequence[Any]:
        """Run one Core statement on a connection of its own: plain rows, no ORM session to set up and tear down."""
        async with self.db.connection() as connection:
            rows: Sequence[Any] = (await connection.execute(statement)).all()
            return rows

    async def entity_rows(self, statement: Executable) -> Sequence[Any]:
        """Run an ORM select that mixes models and columns (`select(Model, Other.column)`): rows of models."""
        async with self.db.session() as session:
            return (await run(session, statement)).all()

    async def objects(self, statement: Select[Any]) -> Sequence[Any]:
        """Run one ORM statement and return the first entity of each row."""
        async with self.db.session() as session:
            result: Any = await run(session, statement)
            # SQLModel's `exec` already yields entities for its own `select` of one model; Core selects yield rows.
            return result.all() if isinstance(result, ScalarResult) else result.scalars().all()


def by_key(keys: Iterable[K], items: Iterable[Any], key: str) -> list[Any]:
    """One item (or None) per key, in key order."""
    found = {getattr(item, key): item for item in items}
    return [found.get(k) for k in keys]


def grouped(keys: Iterable[K], items: Iterable[Any], key: str) -> list[list[Any]]:
    """A list of items per key, in key order."""
    groups: defaultdict[Any, list[Any]] = defaultdict(list)
    for item in items:
        groups[getattr(item, key)].append(item)
    return [groups.get(k, []) for k in keys]

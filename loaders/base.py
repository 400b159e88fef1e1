"""The base of every loader: batches keys of one tick into one SQL statement.

Loaders read with plain SQL on asyncpg (`Database.fetch`): a statement's text is fixed when its module is imported (or
picked from a handful of fixed variants), so asyncpg prepares it once per connection and the request path builds no
SQLAlchemy expression and compiles nothing. Rows are asyncpg records read by attribute, as SQLAlchemy rows are, with
enum columns turned into their enum members.
"""

from __future__ import annotations

import asyncio
import enum
import weakref
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import asyncpg
import sqlalchemy as sa
from aiodataloader import DataLoader, dispatch_queue_batch
from aiodataloader import Loader as Queued
from sqlalchemy import Executable, ScalarResult, Select
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from services.platform.database import Database, run
from services.platform.statement_batches import records_as_rows

if TYPE_CHECKING:
    from loaders.registry import Loaders

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]


class Row(asyncpg.Record):  # type: ignore[misc]
    """A record read by attribute (`row.id`); the columns named in `enums` come back as enum members."""

    enums: ClassVar[Mapping[str, Mapping[Any, Any]]] = {}

    def __getattr__(self, name: str) -> Any:
        try:
            value = self[name]
        except KeyError:
            raise AttributeError(name) from None
        members = self.enums.get(name)
        return value if members is None or value is None else members[value]


@cache
def _row_class(enums: frozenset[tuple[str, type[enum.Enum]]]) -> type[Row]:
    members = {name: enum_class._value2member_map_ for name, enum_class in enums}
    return type("Row", (Row,), {"enums": members})


def enum_columns(*tables: sa.Table) -> dict[str, type[enum.Enum]]:
    """The enum columns of tables, by column name (a name must mean one enum in all of them)."""
    found: dict[str, type[enum.Enum]] = {}
    for table in tables:
        for column in table.c:
            enum_class = getattr(column.type, "enum_class", None)
            if enum_class is None:
                continue
            if found.setdefault(column.name, enum_class) is not enum_class:
                raise ValueError(f"column {column.name} is {found[column.name]} and {enum_class}")
    return found


@dataclass(frozen=True, slots=True)
class Query:
    """A fixed SQL text ($1, $2 … parameters) and the record class of its rows."""

    sql: str
    row: type[Row]

    @classmethod
    def of(cls, sql: str, *tables: sa.Table, **enums: type[enum.Enum]) -> Query:
        """`tables`: whose enum columns the rows carry (by name); `enums`: more of them (labelled columns)."""
        return cls(sql, _row_class(frozenset((enum_columns(*tables) | enums).items())))


def enum_values(values: Iterable[Any]) -> list[Any]:
    """Parameters for a text column: enum members as their values."""
    return [value.value if isinstance(value, enum.Enum) else value for value in values]


class Loader(DataLoader[K, V], Generic[K, V]):
    """Subclasses implement `batch_load_fn(keys) -> values in key order`."""

    # A request makes a score of loaders and a few dozen loads: aiodataloader's own `__init__` checks the batch
    # function with `inspect` and looks the loop up, and its dispatch makes a coroutine and two tasks per batch. These
    # do the same with less: one task per batch, started on the same turn of the loop as aiodataloader's, so that the
    # same loads meet in a batch (and the same batches in a round trip: services/platform/statement_batches.py).
    # Caching and batching are always on, with no batch size limit (aiodataloader's defaults, which every loader here
    # keeps).

    def __init__(self, db: Database) -> None:  # DataLoader's attributes, set here without its checks
        self.loop = asyncio.get_running_loop()
        self._cache: dict[Any, asyncio.Future[V]] = {}
        self._queue: list[Queued] = []
        self.db = db
        self._registry: weakref.ReferenceType[Loaders] | None = None

    # The request's loaders, when made by them. Held weakly: a cycle (the registry holds its loaders) would leave every
    # row and future a request loaded to the garbage collector instead of freeing them when the request ends, and the
    # collector's passes over them cost about a tenth of a cabinet request's CPU (issue 15).
    @property
    def registry(self) -> Loaders | None:
        return None if self._registry is None else self._registry()

    @registry.setter
    def registry(self, loaders: Loaders | None) -> None:
        self._registry = None if loaders is None else weakref.ref(loaders)

    def get_cache_key(self, key: K) -> Any:
        return key

    def load(self, key: K) -> asyncio.Future[V]:
        if key is None:
            raise TypeError(f"The loader.load() function must be called with a value, but got: {key}.")
        cache_key = self.get_cache_key(key)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        future: asyncio.Future[V] = self.loop.create_future()
        self._cache[cache_key] = future
        self._queue.append(Queued(key=key, future=future))
        if len(self._queue) == 1:
            # aiodataloader: call_soon(ensure_future, dispatch()) → a task → dispatch_queue → a task for the batch,
            # whose batch function runs three turns after this one; so does this one's.
            self.loop.call_soon(self.loop.call_soon, self._dispatch)
        return future

    def prefetch(self, keys: Iterable[K]) -> None:
        """Start the loads of `keys` now (they join this turn's batch), for readers that come later and await them.
        Should a reader never come (an error above it), a failure is not reported as "never retrieved"."""
        for key in keys:
            self.load(key).add_done_callback(_retrieved)

    def _dispatch(self) -> None:
        queue, self._queue = self._queue, []
        self.loop.create_task(dispatch_queue_batch(self, queue))

    async def fetch(self, query: Query, *args: Any) -> list[Any]:
        """Run one fixed statement: rows read by attribute, no transaction."""
        rows = await self.db.fetch(query.sql, *args, record_class=query.row)
        if rows and isinstance(rows[0], asyncpg.Record):
            return records_as_rows(rows, query.row)
        return rows  # already tuples (a statement merged with others: services/platform/statement_batches.py)

    async def rows(self, statement: sa.ClauseElement) -> Sequence[Any]:
        """Run one Core statement on a read connection (no transaction); compiled here, on every call.

        For the loaders off the cabinet's path that still build their statement per batch; the others use `fetch`.
        """
        compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
        params = compiled.params
        args = enum_values(params[name] for name in getattr(compiled, "positiontup", None) or ())
        enums: dict[str, type[enum.Enum]] = {}
        if isinstance(statement, Select):
            for column in statement.selected_columns:
                enum_class = getattr(column.type, "enum_class", None)
                if enum_class is not None and column.key is not None:
                    enums[column.key] = enum_class
        row = _row_class(frozenset(enums.items()))
        return await self.db.fetch(compiled.string, *args, record_class=row)

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


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


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

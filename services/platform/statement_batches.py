"""Reads that meet on one connection go to PostgreSQL together: one round trip for all loaders of a level.

The loaders of one level of a GraphQL tree (an account's meters, debt, statements, payments, readings …) each send
one statement in the same few turns of the event loop. A `StatementQueue` holds them for those turns (and for as long
as the connection is busy with the previous round trip), then sends them as ONE statement:

    WITH q0 AS MATERIALIZED (<first>), q1 AS MATERIALIZED (<second>), …
    SELECT ARRAY(SELECT "id" FROM q0) AS c0, ARRAY(SELECT "zone" FROM q0) AS c1, …, ARRAY(SELECT "id" FROM q1) …

with the parameters of each renumbered after those of the ones before: one typed array per column of each statement,
in the statement's row order (a materialized CTE is computed once and read in the order it was made), zipped back into
rows here. A statement with a column that is not a plain scalar (an array, a composite) goes as
`ARRAY(SELECT t FROM (<its SQL>) AS t)` instead, an array of records. Typed arrays, not records: asyncpg decodes an
array of anonymous records looking up every field's codec by its type for every row, several times the cost of the
same rows as plain rows (839 charges: 2.4 ms of client CPU as records, 1.0 ms as column arrays, 1.1 ms as plain rows;
PostgreSQL's part is shorter too). The column names and kinds come from the statement's description (asked once per
process per statement text). So the round trips of a request follow the depth of its tree, not the number of
relations it reads.
"""

from __future__ import annotations

import asyncio
import re
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from typing import Any

import asyncpg

# Turns of the event loop a first statement waits for the others of its level (loaders dispatch on the next turn,
# a resolver that awaits one loader before another on the turn after), and longer while more keep coming.
_GATHER_TURNS = 4
_GATHER_TURNS_AT_MOST = 16
_PARAMETER = re.compile(r"\$(\d+)")


@dataclass(frozen=True, slots=True)
class _Columns:
    """A statement's columns, from its description: their names, and whether they can go as one array each."""

    names: tuple[str, ...]
    as_arrays: bool


_columns: dict[str, _Columns] = {}  # statement text → its columns (the same on every connection)
_COLUMNS_KEPT = 4096

# The C descriptor namedtuple reads its fields with (`collections._tuplegetter`): an attribute read straight from the
# tuple's storage. `property(itemgetter(i))` would call the row's own Python `__getitem__` for every read.
_tuplegetter: Callable[[int, str | None], Any] = type(namedtuple("_Probe", "value").value)  # type: ignore[attr-defined]


@dataclass(slots=True)
class _Pending:
    sql: str
    args: tuple[Any, ...]
    record_class: type[asyncpg.Record] | None
    future: asyncio.Future[list[Any]]


class MergedRow(tuple[Any, ...]):
    """A row that came back inside a merged statement: read by attribute or by name, like a loader's record."""

    __slots__ = ()
    _index: Mapping[str, int] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        index = self._index.get(key)
        return default if index is None else tuple.__getitem__(self, index)

    def keys(self) -> Iterator[str]:
        return iter(self._index)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


_Enums = list[tuple[int, Mapping[Any, Any]]]  # (position, enum members by value) of a statement's enum columns


@dataclass(frozen=True, slots=True)
class _RowShape:
    """How a statement's merged result becomes rows: the `MergedRow` class of its columns, its enum columns."""

    row_class: Callable[[tuple[Any, ...]], Any]
    enums: _Enums

    def make(self, values: Any) -> Any:
        """A row of a record (an array of records' element)."""
        if self.enums:
            converted = list(values)
            for position, members in self.enums:
                value = converted[position]
                if value is not None:
                    converted[position] = members[value]
            values = converted
        return self.row_class(values)


_row_shapes: dict[tuple[tuple[str, ...], type[asyncpg.Record] | None], _RowShape] = {}


def _row_shape(names: tuple[str, ...], record_class: type[asyncpg.Record] | None) -> _RowShape:
    """A `MergedRow` class with a C getter per column, and the enum columns of the loader's record class."""
    key = (names, record_class)
    shape = _row_shapes.get(key)
    if shape is not None:
        return shape
    index = {name: position for position, name in enumerate(names)}
    namespace: dict[str, Any] = {"__slots__": (), "_index": index}
    namespace.update({name: _tuplegetter(position, None) for name, position in index.items() if name.isidentifier()})
    row_class = type("MergedRow", (MergedRow,), namespace)
    enums: Mapping[str, Mapping[Any, Any]] = getattr(record_class, "enums", {}) or {}
    shape = _row_shapes[key] = _RowShape(
        row_class, [(index[name], members) for name, members in enums.items() if name in index]
    )
    return shape


def records_as_rows(records: list[Any], record_class: type[asyncpg.Record] | None) -> list[Any]:
    """The rows of a statement that went alone, made the very rows a merged one gives (`MergedRow`, a C getter per
    column, enum columns converted once): a loader reads the same rows either way, without a `__getattr__` per read."""
    shape = _row_shape(tuple(records[0].keys()), record_class)
    return list(map(shape.make if shape.enums else shape.row_class, records))


# Kinds of columns an array of which decodes as a list of their values (an array of arrays would be a 2-D array).
_ARRAY_KINDS = frozenset({"scalar"})
_RECORD_OID = 2249


async def _columns_of(connection: asyncpg.Connection, sql: str) -> _Columns:
    columns = _columns.get(sql)
    if columns is None:
        attributes = (await connection.prepare(sql)).get_attributes()
        names = tuple(attribute.name for attribute in attributes)
        as_arrays = (
            bool(names)  # a row count is only known from a column
            and len(set(names)) == len(names)  # each is named once: read from the CTE by its name
            and all(a.type.kind in _ARRAY_KINDS and a.type.oid != _RECORD_OID for a in attributes)
        )
        columns = _Columns(names, as_arrays)
        if len(_columns) < _COLUMNS_KEPT:  # bounded: texts of subtrees built in SQL vary with the client's aliases
            _columns[sql] = columns
    return columns


def _renumbered(sql: str, offset: int) -> str:
    return _PARAMETER.sub(lambda match: f"${int(match.group(1)) + offset}", sql)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# Merged texts by their statements and parameter counts: a server sends the same few combinations again and again.
_merged: dict[tuple[tuple[str, int], ...], str] = {}
_MERGED_KEPT = 1024


def _merged_sql(items: list[_Pending], columns: list[_Columns]) -> tuple[str, list[Any]]:
    """The one statement of `items` and its parameters."""
    args: list[Any] = []
    for item in items:
        args.extend(item.args)
    key = tuple((item.sql, len(item.args)) for item in items)
    sql = _merged.get(key)
    if sql is None:
        sql = _merged_text(items, columns)
        if len(_merged) < _MERGED_KEPT:
            _merged[key] = sql
    return sql, args


def _merged_text(items: list[_Pending], columns: list[_Columns]) -> str:
    """Per item, one typed array per column (read from the item's materialized CTE), or one array of its records."""
    ctes: list[str] = []
    parts: list[str] = []
    offset = 0
    for number, (item, shape) in enumerate(zip(items, columns, strict=True)):
        sql = _renumbered(item.sql, offset) if offset else item.sql
        offset += len(item.args)
        if shape.as_arrays:
            ctes.append(f"q{number} AS MATERIALIZED ({sql})")
            parts.extend(
                f"ARRAY(SELECT {_quoted(name)} FROM q{number}) AS c{number}_{position}"
                for position, name in enumerate(shape.names)
            )
        else:
            parts.append(f"ARRAY(SELECT t FROM ({sql}) AS t) AS r{number}")
    head = f"WITH {', '.join(ctes)} " if ctes else ""
    return f"{head}SELECT {', '.join(parts)}"


def _rows_of_arrays(arrays: tuple[Any, ...], row_class: Callable[[tuple[Any, ...]], Any], enums: _Enums) -> list[Any]:
    """A statement's rows from its column arrays; enum columns as their members, converted column by column."""
    if enums:
        converted = list(arrays)
        for position, members in enums:
            converted[position] = [None if value is None else members[value] for value in converted[position]]
        arrays = tuple(converted)
    return list(map(row_class, zip(*arrays, strict=True)))


async def _run_one(connection: asyncpg.Connection, item: _Pending) -> None:
    try:
        rows = await connection.fetch(item.sql, *item.args, record_class=item.record_class)
    except Exception as error:  # noqa: BLE001 - handed to the loader that sent the statement
        if not item.future.done():
            item.future.set_exception(error)
    else:
        if not item.future.done():
            item.future.set_result(rows)


async def _run(connection: asyncpg.Connection, items: list[_Pending]) -> None:
    if len(items) == 1:
        await _run_one(connection, items[0])
        return
    try:
        columns = [await _columns_of(connection, item.sql) for item in items]
        shapes = [_row_shape(shape.names, item.record_class) for item, shape in zip(items, columns, strict=True)]
        sql, args = _merged_sql(items, columns)
        row = await connection.fetchrow(sql, *args)
    except asyncpg.PostgresError:
        # One of them is wrong: each on its own, so that the error reaches the loader that sent it.
        for item in items:
            await _run_one(connection, item)
        return
    except Exception as error:  # noqa: BLE001 - a lost connection: every loader waiting hears of it
        for item in items:
            if not item.future.done():
                item.future.set_exception(error)
        return
    assert row is not None
    position = 0
    for item, shape, row_shape in zip(items, columns, shapes, strict=True):
        if shape.as_arrays:
            width = len(shape.names)
            rows = _rows_of_arrays(tuple(row[position : position + width]), row_shape.row_class, row_shape.enums)
            position += width
        else:
            rows = [row_shape.make(record) for record in row[position]]
            position += 1
        if not item.future.done():
            item.future.set_result(rows)


# Set by services/platform/observability while tracing: a span around each read a request's loaders make (these
# reads go to asyncpg directly, past SQLAlchemy's events that trace the other statements).
READ_SPAN: Callable[[str], AbstractContextManager[object]] | None = None


class StatementQueue:
    """The statements waiting for one connection (`acquire` lends it for one round trip)."""

    def __init__(self, acquire: Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]) -> None:
        self.acquire = acquire
        self.pending: list[_Pending] = []
        self.sending: asyncio.Task[None] | None = None

    async def fetch(self, sql: str, args: tuple[Any, ...], record_class: type[asyncpg.Record] | None) -> list[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        self.pending.append(_Pending(sql, args, record_class, future))
        if self.sending is None:
            self.sending = loop.create_task(self._send())
        if READ_SPAN is None:
            return await future
        with READ_SPAN(sql):
            return await future

    async def _send(self) -> None:
        items: list[_Pending] = []
        try:
            while self.pending:
                turns, seen = 0, -1
                while turns < _GATHER_TURNS or (len(self.pending) != seen and turns < _GATHER_TURNS_AT_MOST):
                    seen = len(self.pending)
                    await asyncio.sleep(0)
                    turns += 1
                items, self.pending = self.pending, []
                async with self.acquire() as connection:
                    await _run(connection, items)
        except BaseException as error:
            # No connection (a pool closed, a cancelled request): every loader still waiting hears of it.
            failure = error if isinstance(error, Exception) else ConnectionError("the read was cancelled")
            for item in [*items, *self.pending]:
                if not item.future.done():
                    item.future.set_exception(failure)
            self.pending = []
            raise
        finally:
            self.sending = None

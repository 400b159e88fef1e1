"""Reads that meet on one connection go to PostgreSQL together: one round trip for all loaders of a level.

The loaders of one level of a GraphQL tree (an account's meters, debt, statements, payments, readings …) each send
one statement in the same few turns of the event loop. A `StatementQueue` holds them for those turns (and for as long
as the connection is busy with the previous round trip), then sends them as ONE statement:

    SELECT ARRAY(SELECT t FROM (<first>) AS t) AS r0, ARRAY(SELECT t FROM (<second>) AS t) AS r1, …

with the parameters of each renumbered after those of the ones before. PostgreSQL hands back each statement's rows
as an array of records, decoded by asyncpg with their own types; the column names come from the statement's
description (asked once per process per statement text). So the round trips of a request follow the depth of its
tree, not the number of relations it reads.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import asyncpg

# Turns of the event loop a first statement waits for the others of its level (loaders dispatch on the next turn,
# a resolver that awaits one loader before another on the turn after), and longer while more keep coming.
_GATHER_TURNS = 4
_GATHER_TURNS_AT_MOST = 16
_PARAMETER = re.compile(r"\$(\d+)")

_names: dict[str, tuple[str, ...]] = {}  # statement text → its column names (the same on every connection)


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


_row_classes: dict[tuple[tuple[str, ...], type[asyncpg.Record] | None], Callable[[tuple[Any, ...]], Any]] = {}


def _row_factory(names: tuple[str, ...], record_class: type[asyncpg.Record] | None) -> Callable[[tuple[Any, ...]], Any]:
    """How a decoded record becomes a row: a `MergedRow` class with a property per column, enums converted."""
    key = (names, record_class)
    factory = _row_classes.get(key)
    if factory is not None:
        return factory
    index = {name: position for position, name in enumerate(names)}
    namespace: dict[str, Any] = {"__slots__": (), "_index": index}
    namespace.update({name: property(itemgetter(position)) for name, position in index.items() if name.isidentifier()})
    row_class = type("MergedRow", (MergedRow,), namespace)
    enums: Mapping[str, Mapping[Any, Any]] = getattr(record_class, "enums", {}) or {}
    conversions = [(index[name], members) for name, members in enums.items() if name in index]

    def make(values: tuple[Any, ...]) -> Any:
        if conversions:
            converted = list(values)
            for position, members in conversions:
                value = converted[position]
                if value is not None:
                    converted[position] = members[value]
            values = tuple(converted)
        return row_class(values)

    _row_classes[key] = make
    return make


async def _column_names(connection: asyncpg.Connection, sql: str) -> tuple[str, ...]:
    names = _names.get(sql)
    if names is None:
        statement = await connection.prepare(sql)
        names = _names[sql] = tuple(attribute.name for attribute in statement.get_attributes())
    return names


def _renumbered(sql: str, offset: int) -> str:
    return _PARAMETER.sub(lambda match: f"${int(match.group(1)) + offset}", sql)


def _merged_sql(items: list[_Pending]) -> tuple[str, list[Any]]:
    parts = []
    args: list[Any] = []
    for number, item in enumerate(items):
        offset = len(args)
        sql = _renumbered(item.sql, offset) if offset else item.sql
        parts.append(f"ARRAY(SELECT t FROM ({sql}) AS t) AS r{number}")
        args.extend(item.args)
    return "SELECT " + ", ".join(parts), args


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
        factories = [_row_factory(await _column_names(connection, item.sql), item.record_class) for item in items]
        sql, args = _merged_sql(items)
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
    for number, (item, make) in enumerate(zip(items, factories, strict=True)):
        if not item.future.done():
            item.future.set_result([make(record) for record in row[number]])


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

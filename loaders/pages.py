"""Per-parent connection pages in one statement: `first` rows after a keyset cursor for every parent at once.

A key is (parent id, PageArgs). Keys of one tick that share their arguments (the usual case: every account of a
cabinet asks for the same period and page size) are answered by one statement ranking rows with
`row_number() OVER (PARTITION BY parent ORDER BY …)`, so the count of statements does not grow with the parents.
"""

from __future__ import annotations

from abc import abstractmethod
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select
from sqlmodel import SQLModel

from loaders.base import Loader, Query
from services.cabinet.periods import MonthRange


def table_of(model: type[SQLModel]) -> sa.Table:
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class PageArgs:
    """A connection page: `first` rows after the keyset `after` (the sort key of the last row seen)."""

    first: int
    after: tuple[Hashable, ...] | None = None
    months: MonthRange | None = None
    meter_id: int | None = None


PageKey = tuple[int, PageArgs]


class PageLoader(Loader[PageKey, list[Any]]):
    """Subclasses give the fixed statement of one page per parent for a shape of arguments (`query`) and its
    parameters (`params`); rows carry the parent id as `parent`.

    They fetch `first + 1` rows per parent: the extra one only says that there is a next page.
    """

    async def batch_load_fn(self, keys: list[PageKey]) -> list[list[Any]]:
        parents_by_args: defaultdict[PageArgs, list[int]] = defaultdict(list)
        for parent, args in keys:
            parents_by_args[args].append(parent)
        pages: dict[PageKey, list[Any]] = {}
        for args, parents in parents_by_args.items():
            for row in await self.fetch(self.query(args), *self.params(parents, args)):
                pages.setdefault((row.parent, args), []).append(row)
        return [pages.get(key, []) for key in keys]

    @abstractmethod
    def query(self, args: PageArgs) -> Query: ...

    @abstractmethod
    def params(self, parents: Sequence[int], args: PageArgs) -> tuple[Any, ...]: ...


@dataclass(frozen=True, slots=True)
class RankedPages:
    """The SQL of "the first N rows per parent after a keyset", one fixed text per shape of the arguments.

    `source`: `FROM … WHERE <parent> = ANY($1::bigint[]) …` (its own conditions included); `order`: the two sort
    columns (descending) with their SQL types; `months`: the column and type compared with the month range, or None.
    Parameters: $1 the parents, $2 the row limit, then the cursor's two values, the month bounds and the meter id
    for the arguments that are given.
    """

    columns: str
    parent: str
    source: str
    order: tuple[tuple[str, str], tuple[str, str]]
    tables: tuple[sa.Table, ...]
    months: tuple[str, str, str] | None = None  # (column, operator pair: "between" or "range", SQL type)
    meter: str | None = None
    _queries: dict[tuple[bool, bool, bool], Query] = field(default_factory=dict, compare=False, repr=False)

    def query(self, args: PageArgs) -> Query:
        shape = (args.after is not None, args.months is not None, args.meter_id is not None)
        query = self._queries.get(shape)
        if query is None:
            query = self._queries[shape] = Query.of(self.sql(args), *self.tables)
        return query

    def sql(self, args: PageArgs) -> str:
        (first, first_type), (second, second_type) = self.order
        where = [self.source]
        n = 2
        if args.after is not None:
            where.append(f"AND ({first}, {second}) < (${n + 1}::{first_type}, ${n + 2}::{second_type})")
            n += 2
        if args.months is not None and self.months is not None:
            column, kind, sql_type = self.months
            if kind == "between":
                where.append(f"AND {column} BETWEEN ${n + 1}::{sql_type} AND ${n + 2}::{sql_type}")
            else:
                where.append(f"AND {column} >= ${n + 1}::{sql_type} AND {column} < ${n + 2}::{sql_type}")
            n += 2
        if args.meter_id is not None and self.meter is not None:
            where.append(f"AND {self.meter} = ${n + 1}::bigint")
        return (
            f"SELECT * FROM (SELECT {self.columns}, {self.parent} AS parent, "
            f"row_number() OVER (PARTITION BY {self.parent} ORDER BY {first} DESC, {second} DESC) AS rank "
            f"{' '.join(where)}) AS ranked WHERE rank <= $2 ORDER BY parent, rank"
        )

    def params(self, parents: Sequence[int], args: PageArgs) -> tuple[Any, ...]:
        values: list[Any] = [list(parents), args.first + 1]
        if args.after is not None:
            values.extend(args.after)
        if args.months is not None and self.months is not None:
            if self.months[1] == "between":
                values.extend((args.months.first, args.months.last))
            else:
                values.extend((args.months.starts_at, args.months.ends_before))
        if args.meter_id is not None and self.meter is not None:
            values.append(args.meter_id)
        return tuple(values)


def first_per_parent(
    statement: Select[Any], *, parent: ColumnElement[Any], order_by: Sequence[ColumnElement[Any]], limit: int
) -> Select[Any]:
    """The first `limit` rows of `statement` per `parent` in `order_by` order; `parent` is added as a column."""
    rank = sa.func.row_number().over(partition_by=parent, order_by=list(order_by)).label("rank")
    ranked = statement.add_columns(parent.label("parent"), rank).subquery("ranked")
    return sa.select(ranked).where(ranked.c.rank <= limit).order_by(ranked.c.parent, ranked.c.rank)


def after_keyset(columns: Sequence[ColumnElement[Any]], after: tuple[Hashable, ...] | None) -> ColumnElement[bool]:
    """Rows after the cursor in a descending order on `columns`."""
    if after is None:
        return sa.true()
    return sa.tuple_(*columns) < sa.tuple_(*(sa.literal(value) for value in after))

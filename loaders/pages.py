"""Per-parent connection pages in one statement: `first` rows after a keyset cursor for every parent at once.

A key is (parent id, PageArgs). Keys of one tick that share their arguments (the usual case: every account of a
cabinet asks for the same period and page size) are answered by one statement ranking rows with
`row_number() OVER (PARTITION BY parent ORDER BY …)`, so the count of statements does not grow with the parents.
"""

from __future__ import annotations

from abc import abstractmethod
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select
from sqlmodel import SQLModel

from loaders.base import Loader
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
    """Subclasses build the statement of one page per parent; rows carry the parent id as `parent`.

    They fetch `first + 1` rows per parent: the extra one only says that there is a next page.
    """

    async def batch_load_fn(self, keys: list[PageKey]) -> list[list[Any]]:
        parents_by_args: defaultdict[PageArgs, list[int]] = defaultdict(list)
        for parent, args in keys:
            parents_by_args[args].append(parent)
        pages: dict[PageKey, list[Any]] = {}
        for args, parents in parents_by_args.items():
            for row in await self.rows(self.statement(parents, args)):
                pages.setdefault((row.parent, args), []).append(row)
        return [pages.get(key, []) for key in keys]

    @abstractmethod
    def statement(self, parents: Sequence[int], args: PageArgs) -> Select[Any]: ...


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

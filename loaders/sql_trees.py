"""Subtrees answered by PostgreSQL as JSON (schema/core/compiled/sql_tree.py): key (statement with its parameters,
parent id) → the
parent's subtree as JSON text (an `orjson.Fragment`: never parsed here, written into the response as it is), or
`RESOLVE` when the text carries the mark of a value its GraphQL type cannot answer (an `Int` out of range, an unknown
enum value) or the statement failed in PostgreSQL: that field is then resolved the ordinary way, which answers
graphql-core's own value or error."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Hashable
from typing import Any, Final, Protocol

import asyncpg
import orjson
import structlog

from loaders.base import Loader

log = structlog.get_logger("graphql")

RESOLVE: Final = object()
# JSON's escape of U+0001: written by the statement in place of a value it cannot answer, and by PostgreSQL for that
# character in a string (a harmless false alarm: the resolvers answer the same).
UNANSWERABLE: Final = "\\u0001"


class SqlTree(Hashable, Protocol):
    """A statement of `$1` the parents' ids answering rows (parent id, JSON text)."""

    @property
    def sql(self) -> str: ...

    @property
    def marked(self) -> bool: ...  # whether its text may carry UNANSWERABLE

    @property
    def params(self) -> tuple[Any, ...]: ...  # the statement's parameters after `$1`

    def finish(self, text: str) -> str: ...  # the JSON text as the answer's (its cursors signed)

    @property
    def parent_key(self) -> str | None: ...  # None: a row not found is the resolver's to answer (`me`)


class SqlTrees(Loader[tuple[SqlTree, int], Any]):
    async def batch_load_fn(self, keys: list[tuple[SqlTree, int]]) -> list[Any]:
        parents: defaultdict[SqlTree, list[int]] = defaultdict(list)
        for tree, parent in keys:
            parents[tree].append(parent)
        found: dict[tuple[SqlTree, int], Any] = {}
        # The trees of one level together: their statements meet in one round trip (statement_batches.py)
        answers = await asyncio.gather(
            *(self.db.fetch(tree.sql, ids, *tree.params) for tree, ids in parents.items()), return_exceptions=True
        )
        for tree, rows in zip(parents, answers, strict=True):
            if isinstance(rows, asyncpg.PostgresError):
                log.warning("sql tree failed, resolved the ordinary way", error=f"{type(rows).__name__}: {rows}")
                continue  # e.g. a sum out of bigint's range: RESOLVE for these parents
            if isinstance(rows, BaseException):
                raise rows  # the database is away: the loads fail as any loader's would
            for parent, text in rows:
                if text is None:  # a `one` relation that found no row
                    found[tree, parent] = None if tree.parent_key is not None else RESOLVE
                elif tree.marked and UNANSWERABLE in text:
                    found[tree, parent] = RESOLVE
                else:  # put in the answer as it is: orjson writes a Fragment's text unchanged
                    found[tree, parent] = orjson.Fragment(tree.finish(text))
        return [found.get(key, RESOLVE) for key in keys]

"""The short way for plain fields (schema/core/execution.py) answers exactly as graphql-core: data, errors, paths.

A small schema with the cases that must leave the short way: a non-null field that is null, a value its scalar or
enum refuses, an awaitable stored on an object, an exception as a value; beside plain values, aliases, fragments and
resolvers. The whole suite compares every distinct query with graphql-core's execution as well
(tests/support/graphql.py).
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.core.execution import PlainFieldsExecutionContext
from schema.core.fast_fields import read_basic_fields_directly


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Item:
    name: str
    label: str | None
    count: int
    colour: Colour
    maybe_colour: Colour | None

    @strawberry.field
    async def twice(self) -> int:
        return self.count * 2


@dataclass
class Row:
    name: Any
    label: Any
    count: Any
    colour: Any
    maybe_colour: Any


class _Later:
    """An awaitable value (its coroutine is made only when awaited, so an unread one warns of nothing)."""

    def __await__(self) -> Any:
        return self._value().__await__()

    async def _value(self) -> str:
        return "later"


def _rows() -> list[Any]:
    return [
        Row("a", None, 1, Colour.RED, None),
        Row(None, "no name", 2, Colour.BLUE, Colour.RED),  # non-null name is null: an error, the item null
        Row("c", "big", 2**40, Colour.RED, None),  # Int cannot hold it
        Row("d", None, 4, "GREEN", "GREEN"),  # not a member of the enum
        Row("e", ValueError("broken"), 5, Colour.BLUE, None),  # an exception as a value
        Row("f", _Later(), 6, Colour.BLUE, None),  # an awaitable as a value
    ]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return _rows()  # type: ignore[return-value]

    @strawberry.field
    def strict_items(self) -> list[Item]:
        return _rows()  # type: ignore[return-value]


QUERIES = [
    "{ items { name label count colour maybeColour twice } }",
    "{ items { n: name ...F } } fragment F on Item { label colour name }",
    "{ strictItems { name } }",
    "{ items { count } strictItems { label } }",
    "{ items { __typename name } }",
]


def _schema(context: type[Any]) -> strawberry.Schema:
    schema = strawberry.Schema(query=Query, execution_context_class=context)
    read_basic_fields_directly(schema)
    return schema


def _answer(schema: strawberry.Schema, query: str) -> tuple[Any, list[Any]]:
    result = asyncio.run(schema.execute(query))
    errors = [(error.message, error.path, [(loc.line, loc.column) for loc in error.locations or []])
              for error in result.errors or []]  # fmt: skip
    return result.data, errors


def test_plain_fields_answer_as_graphql_core_for_values_and_errors() -> None:
    fast, core = _schema(PlainFieldsExecutionContext), _schema(StrawberryGraphQLCoreExecutionContext)

    for query in QUERIES:
        assert _answer(fast, query) == _answer(core, query), query


def test_the_cases_reach_the_error_paths() -> None:
    data, errors = _answer(_schema(PlainFieldsExecutionContext), QUERIES[0])

    assert data is not None
    items = data["items"]
    assert items[0] == {"name": "a", "label": None, "count": 1, "colour": "RED", "maybeColour": None, "twice": 2}
    assert items[1] is None  # null name
    assert items[2] is None  # too big an Int
    assert items[3] is None  # no such enum member
    assert items[4]["label"] is None  # the exception became a located error
    assert items[5]["label"] == "later"  # the awaitable was awaited, graphql-core's way
    assert {tuple(path) for _, path, _ in errors} >= {("items", 1, "name"), ("items", 2, "count")}

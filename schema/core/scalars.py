"""Scalars: money is integer kopecks (`Kopecks`, never a float); energy in billing is whole kWh.

Declared as NewTypes and mapped in `StrawberryConfig.scalar_map`, so Python code sees plain ints.
"""

from __future__ import annotations

from typing import NewType

import orjson
import strawberry
from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition

Kopecks = NewType("Kopecks", int)
KilowattHours = NewType("KilowattHours", int)
WattHours = NewType("WattHours", int)
# A JSON array made once (by PostgreSQL) and embedded in the response as it is: graphql-core completes one value.
PackedSeries = NewType("PackedSeries", str)


class NotWholeNumber(GraphQLError, ValueError):
    """A GraphQL error of its own: raised while a literal is validated, a plain ValueError would reach the client as
    a masked internal error (found by the schemathesis fuzzing, bench/fuzz_graphql.py)."""

    def __init__(self, value: object) -> None:
        super().__init__(
            f"Ожидается целое число (expected a whole number), получено {value!r}",
            extensions={"code": "BAD_USER_INPUT"},
        )


def whole_number(value: object) -> int:
    """Money and energy arrive as whole numbers only: 12.7 kopecks or `true` is an error, never 12 or 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise NotWholeNumber(value)
    return value


def _output_only(value: object) -> str:
    raise ValueError("PackedSeries is an output type")


SCALAR_MAP: dict[object, ScalarDefinition] = {
    Kopecks: strawberry.scalar(
        name="Kopecks",
        description="An amount of money in kopecks (1/100 rouble): an integer that may exceed 32 bits.",
        serialize=int,
        parse_value=whole_number,
    ),
    KilowattHours: strawberry.scalar(
        name="KilowattHours",
        description="An energy volume in whole kWh: an integer that may exceed 32 bits.",
        serialize=int,
        parse_value=whole_number,
    ),
    WattHours: strawberry.scalar(
        name="WattHours",
        description="A smart meter's cumulative register in Wh (varh for reactive energy): an integer that may exceed "
        "32 bits.",
        serialize=int,
        parse_value=whole_number,
    ),
    PackedSeries: strawberry.scalar(
        name="PackedSeries",
        description="A series' values as one JSON array of integers (null where nothing is stored), entry i for "
        "step i from the series' start; serialized once, not item by item. Output only.",
        serialize=orjson.Fragment,
        parse_value=_output_only,
    ),
}

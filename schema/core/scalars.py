"""Scalars: money is integer kopecks (`Kopecks`, never a float); energy in billing is whole kWh.

Declared as NewTypes and mapped in `StrawberryConfig.scalar_map`, so Python code sees plain ints.
"""

from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

Kopecks = NewType("Kopecks", int)
KilowattHours = NewType("KilowattHours", int)
WattHours = NewType("WattHours", int)


def whole_number(value: object) -> int:
    """Money and energy arrive as whole numbers only: 12.7 kopecks or `true` is an error, never 12 or 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


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
}

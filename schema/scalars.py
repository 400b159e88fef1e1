"""Scalars: money is integer kopecks (`Kopecks`, never a float); energy in billing is whole kWh.

Declared as NewTypes and mapped in `StrawberryConfig.scalar_map`, so Python code sees plain ints.
"""

from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

Kopecks = NewType("Kopecks", int)
KilowattHours = NewType("KilowattHours", int)

SCALAR_MAP: dict[object, ScalarDefinition] = {
    Kopecks: strawberry.scalar(
        name="Kopecks",
        description="An amount of money in kopecks (1/100 rouble): an integer that may exceed 32 bits.",
        serialize=int,
        parse_value=int,
    ),
    KilowattHours: strawberry.scalar(
        name="KilowattHours",
        description="An energy volume in whole kWh: an integer that may exceed 32 bits.",
        serialize=int,
        parse_value=int,
    ),
}

"""The pure rules behind what a customer types: parsing and counting through zero."""

from __future__ import annotations

import pytest

from services.errors import ErrorCode, Problem
from services.readings.validation import consumption_since, parse_value


@pytest.mark.parametrize(("typed", "value"), [("0", 0), ("16360", 16360), (" 16360 ", 16360), ("999999", 999_999)])
def test_whole_numbers_are_read(typed: str, value: int) -> None:
    assert parse_value(typed, digits=6, index=0) == value


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("16360,5", ErrorCode.NOT_AN_INTEGER),
        (",5", ErrorCode.NOT_AN_INTEGER),
        ("1e5", ErrorCode.NOT_AN_INTEGER),
        ("0x10", ErrorCode.NOT_AN_INTEGER),
        ("0016360", ErrorCode.LEADING_ZEROS),
        ("1" * 4000, ErrorCode.TOO_MANY_DIGITS),
    ],
)
def test_what_is_wrong_is_named(typed: str, code: ErrorCode) -> None:
    problem = parse_value(typed, digits=6, index=2)

    assert isinstance(problem, Problem)
    assert problem.code is code
    assert problem.field == ("input", "values", "2", "value")


@pytest.mark.parametrize(
    ("previous", "value", "consumption"),
    [
        (16360, 16549, 189),
        (16360, 16360, 0),
        (999_990, 15, 25),  # wrapped at 10^6
        (999_990, 0, 10),
        (600_000, 100_000, None),  # back by half the register: a mistake, not a wrap
        (600_000, 60_000, None),  # a dropped digit, not 460000 kWh through zero
        (899_999, 5, None),  # a wrap starts from the top tenth of the register
        (999_990, 100_000, None),  # and ends in its bottom tenth
        (900_000, 99_999, 199_999),
        (16360, 1636, None),  # a lost digit
        (16360, 16359, None),
    ],
)
def test_consumption_counts_through_zero_only_when_the_register_wrapped(
    previous: int, value: int, consumption: int | None
) -> None:
    assert consumption_since(previous, value, digits=6) == consumption

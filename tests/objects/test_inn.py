"""INN check digits: exactly one check digit (pair of digits for 12-digit INNs) completes any body."""

from __future__ import annotations

import random

import pytest

from services.objects.inn import is_valid_inn, normalize_inn


@pytest.mark.parametrize(
    "inn",
    [
        "7802312751",  # ПАО «Россети Северо-Запад»
        "7707083893",  # ПАО Сбербанк
        "7736207543",  # ООО «Яндекс»
        "7728168971",  # АО «Альфа-Банк»
        "500100732259",  # an individual's INN from the FNS examples
    ],
)
def test_real_inns_are_accepted(inn: str) -> None:
    assert is_valid_inn(inn)


def test_exactly_one_check_digit_completes_a_10_digit_body() -> None:
    rng = random.Random(10)
    bodies = ["290000000", "999999999", "123456789"] + [f"{rng.randrange(1, 10**9):09d}" for _ in range(400)]

    for body in bodies:
        if body.startswith("00"):
            continue
        accepted = [digit for digit in "0123456789" if is_valid_inn(body + digit)]
        assert len(accepted) == 1, body


def test_exactly_one_pair_of_check_digits_completes_a_12_digit_body() -> None:
    rng = random.Random(12)
    bodies = ["2900000000", "9999999999"] + [f"{rng.randrange(10**8, 10**10):010d}" for _ in range(150)]

    for body in bodies:
        accepted = [f"{a}{b}" for a in "0123456789" for b in "0123456789" if is_valid_inn(body + f"{a}{b}")]
        assert len(accepted) == 1, body


@pytest.mark.parametrize(
    "inn",
    [
        "",
        "780231275",  # 9 digits
        "78023127511",  # 11 digits
        "7802312752",  # wrong check digit
        "500100732258",  # wrong 12th digit
        "500100732249",  # wrong 11th digit
        "0000000000",  # check digits add up, but no region 00
        "000000000000",
        "78023I2751",
        "7802 312751",  # spaces are removed by normalize_inn before the check, not accepted by it
        "٧٨٠٢٣١٢٧٥١",  # Arabic-Indic digits
        "-780231275",
    ],
)
def test_malformed_inns_are_refused(inn: str) -> None:
    assert not is_valid_inn(inn)


def test_spaces_people_type_between_digit_groups_are_removed() -> None:
    assert normalize_inn(" 7802 312 751 ") == "7802312751"

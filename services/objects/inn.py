"""ИНН (taxpayer number) check digits: 10 digits for organisations, 12 for individuals and ИП.

The check digits are weighted sums mod 11 mod 10 (Приказ ФНС: the weights below). The first two digits are a region
code, so `00…` is never issued even though its check digits add up.
"""

from __future__ import annotations

_WEIGHTS_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(digit) * weight for digit, weight in zip(digits, weights, strict=True)) % 11 % 10


def is_valid_inn(inn: str) -> bool:
    """Whether `inn` is 10 or 12 ASCII digits with correct check digits."""
    if not inn.isascii() or not inn.isdigit() or inn.startswith("00"):
        return False
    if len(inn) == 10:
        return check_digit(inn[:9], _WEIGHTS_10) == int(inn[9])
    if len(inn) == 12:
        return check_digit(inn[:10], _WEIGHTS_11) == int(inn[10]) and check_digit(inn[:11], _WEIGHTS_12) == int(inn[11])
    return False


def normalize_inn(raw: str) -> str:
    """What a user typed, without the spaces people put between digit groups."""
    return "".join(raw.split())

"""What a customer typed, checked zone by zone: pure functions, no database.

Values arrive as text so that the server, not the GraphQL parser, says what is wrong with them. The rules follow the
portal's hint «Показания вводятся без первых нулей и цифр после запятой»: ASCII digits only, no sign, no fraction,
no leading zeros, at most as many digits as the register has, and not below the previous value unless the register
wrapped at 10^digits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from models.enums import ZONES_BY_COUNT, TariffZone
from services.errors import ErrorCode, Problem

_DIGITS = re.compile(r"[0-9]+")
_FRACTION = re.compile(r"[0-9]*[.,][0-9]*")
# A wrap is believed only from the top 1/WRAP_SHARE of the register to its bottom 1/WRAP_SHARE.
WRAP_SHARE = 10
HOW_TO_TYPE = "Введите показание целым числом, без первых нулей и цифр после запятой"


@dataclass(frozen=True, slots=True)
class TypedValue:
    zone: TariffZone
    text: str


@dataclass(frozen=True, slots=True)
class Previous:
    """The value a new one is compared with: the last accepted reading, or a submission not processed yet."""

    value: int
    taken_on: date
    pending: bool


@dataclass(frozen=True, slots=True)
class ZoneCheck:
    zone: TariffZone
    index: int  # position in the typed list, for the error path
    value: int | None
    consumption: int | None
    problems: tuple[Problem, ...]


def value_path(index: int) -> tuple[str, ...]:
    return ("input", "values", str(index), "value")


def parse_value(text: str, *, digits: int, index: int) -> int | Problem:
    """The register value typed as `text`, or what is wrong with it."""
    path = value_path(index)
    typed = text.strip()
    if not typed:
        return Problem(ErrorCode.NOT_AN_INTEGER, f"Показание не введено. {HOW_TO_TYPE}", path)
    if _FRACTION.fullmatch(typed):
        return Problem(ErrorCode.NOT_AN_INTEGER, f"{HOW_TO_TYPE}: например, 16360 вместо 16360,5", path)
    if not _DIGITS.fullmatch(typed):
        return Problem(ErrorCode.NOT_AN_INTEGER, f"{HOW_TO_TYPE}: только цифры, без знаков и пробелов", path)
    if len(typed) > 1 and typed.startswith("0"):
        return Problem(
            ErrorCode.LEADING_ZEROS, f"Уберите первые нули: например, {typed.lstrip('0') or '0'} вместо {typed}", path
        )
    if len(typed) > digits:
        return Problem(
            ErrorCode.TOO_MANY_DIGITS,
            f"На счётчике не больше {digits} цифр до запятой: проверьте, не введены ли лишние цифры",
            path,
        )
    return int(typed)


def consumption_since(previous: int, value: int, *, digits: int) -> int | None:
    """kWh from `previous` to `value`, through zero when the register wrapped; None when `value` is below `previous`.

    A lower value is read as a wrap only when the register was in its top tenth and now shows its bottom tenth:
    999990 → 15 on six digits is 25 kWh. Anything else lower is a mistake, however short the way round through zero
    would be: 600000 → 60000 is a dropped digit, not 460000 kWh, and 16360 → 1636 is not 985276 kWh.
    """
    if value >= previous:
        return value - previous
    modulus: int = 10**digits
    if previous * WRAP_SHARE < modulus * (WRAP_SHARE - 1) or value * WRAP_SHARE >= modulus:
        return None
    return value + modulus - previous


def zones_problem(meter_zones: Sequence[TariffZone], typed: Sequence[TypedValue]) -> Problem | None:
    """Every zone of the meter exactly once, and nothing else."""
    zones = [value.zone for value in typed]
    if len(zones) == len(set(zones)) and set(zones) == set(meter_zones):
        return None
    names = ", ".join(ZONE_NAMES[zone] for zone in meter_zones)
    return Problem(
        ErrorCode.ZONES_MISMATCH,
        f"Введите по одному показанию для каждой зоны счётчика: {names}",
        ("input", "values"),
    )


def check_zones(
    *, zone_count: int, digits: int, typed: Sequence[TypedValue], previous: dict[TariffZone, Previous]
) -> tuple[Problem | None, list[ZoneCheck]]:
    """The zone-set problem (if any) and a check of each typed zone that the meter has."""
    meter_zones = ZONES_BY_COUNT[zone_count]
    checks: list[ZoneCheck] = []
    seen: set[TariffZone] = set()
    for index, item in enumerate(typed):
        if item.zone not in meter_zones or item.zone in seen:
            continue
        seen.add(item.zone)
        parsed = parse_value(item.text, digits=digits, index=index)
        if isinstance(parsed, Problem):
            checks.append(ZoneCheck(item.zone, index, None, None, (parsed,)))
            continue
        before = previous.get(item.zone)
        if before is None:
            checks.append(ZoneCheck(item.zone, index, parsed, None, ()))
            continue
        used = consumption_since(before.value, parsed, digits=digits)
        if used is None:
            problem = Problem(
                ErrorCode.BELOW_PREVIOUS,
                f"Показание меньше предыдущего ({before.value}). Проверьте, что введены все цифры до запятой",
                value_path(index),
            )
            checks.append(ZoneCheck(item.zone, index, parsed, None, (problem,)))
            continue
        checks.append(ZoneCheck(item.zone, index, parsed, used, ()))
    return zones_problem(meter_zones, typed), checks


ZONE_NAMES: dict[TariffZone, str] = {
    TariffZone.SINGLE: "сутки",
    TariffZone.DAY: "день",
    TariffZone.NIGHT: "ночь",
    TariffZone.PEAK: "пик",
    TariffZone.SEMI_PEAK: "полупик",
}

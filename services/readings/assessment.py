"""One check of typed values against a meter, shared by the preview and the submission."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import TariffZone
from services.errors import DomainError, ErrorCode, Problem
from services.platform.settings import Settings
from services.readings.history import (
    MeterInfo,
    monthly_average,
    months_between,
    previous_values,
    rates_in_force,
)
from services.readings.validation import Previous, TypedValue, ZoneCheck, check_zones
from services.readings.window import PeriodChoice, choose_period, local_date

# Consumption above this many times the usual goes to an operator instead of being refused.
REVIEW_FACTOR = 10
# A meter that used next to nothing (an empty flat) would send every ordinary reading to review without a floor.
MIN_MONTHLY_AVERAGE = 10.0


@dataclass(frozen=True, slots=True)
class Assessment:
    meter: MeterInfo
    today: date
    choice: PeriodChoice
    previous: dict[TariffZone, Previous]
    zones_problem: Problem | None
    checks: list[ZoneCheck]
    rates: dict[TariffZone, int]
    review_reason: str | None

    @property
    def problems(self) -> list[Problem]:
        found = [self.zones_problem] if self.zones_problem is not None else []
        return found + [problem for check in self.checks for problem in check.problems]


def meter_not_found() -> Problem:
    return Problem(
        ErrorCode.METER_NOT_FOUND, "Прибор учёта не найден среди ваших счетов и договоров", ("input", "meterId")
    )


def unknown_meter() -> DomainError:
    """A meter that is not there, or not the customer's: the two answer alike."""
    return DomainError([meter_not_found()])


def meter_removed() -> Problem:
    return Problem(
        ErrorCode.METER_NOT_FOUND,
        "Этот прибор учёта снят; передайте показания нового счётчика",
        ("input", "meterId"),
    )


async def _review_reason(
    session: AsyncSession,
    meter: MeterInfo,
    checks: Sequence[ZoneCheck],
    previous: dict[TariffZone, Previous],
    today: date,
) -> str | None:
    if any(check.consumption is None for check in checks) or not checks:
        return None
    average = await monthly_average(session, meter, today=today)
    if average is None:
        return None
    since = min(previous[check.zone].taken_on for check in checks if check.zone in previous)
    months = max(months_between(since, today), 1)
    total = sum(check.consumption or 0 for check in checks)
    usual = max(average, MIN_MONTHLY_AVERAGE) * months
    if total <= REVIEW_FACTOR * usual:
        return None
    return (
        f"Расход {total} кВт·ч намного больше обычного (в среднем {round(average)} кВт·ч в месяц): "
        "показания проверит оператор"
    )


async def assess(
    session: AsyncSession,
    *,
    meter: MeterInfo,
    typed: Sequence[TypedValue],
    now: datetime,
    settings: Settings,
    customer_id: int | None = None,
) -> Assessment:
    """`customer_id`: who is typing, whose own waiting submissions the new one would replace."""
    today = local_date(now)
    previous = await previous_values(session, meter.id, customer_id=customer_id)
    zones_problem, checks = check_zones(
        zone_count=meter.zone_count, digits=meter.digits, typed=typed, previous=previous
    )
    clean = zones_problem is None and all(not check.problems for check in checks)
    review_reason = await _review_reason(session, meter, checks, previous, today) if clean else None
    return Assessment(
        meter=meter,
        today=today,
        choice=choose_period(now, settings),
        previous=previous,
        zones_problem=zones_problem,
        checks=checks,
        rates=await rates_in_force(session, meter, day=today),
        review_reason=review_reason,
    )

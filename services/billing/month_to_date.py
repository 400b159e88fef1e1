"""Month to date («сколько набежало»): the consumption and cost of the current month so far, and the end-of-month
forecast of both. Beyond the manual: an estimate for the customer, never a bill (the bill is the period close's).

What it is based on, best first:
- SMART: the smart meter's (ИСУ) hourly profile since the month's first hour; the forecast extends the hourly
  pace over the month's remaining hours;
- READING: the last reading submitted this month against the last one before the month (wraparound-aware): the
  daily pace between them, over the days of the month so far and over the whole month;
- AVERAGE: the monthly average of the last 12 billed months of readings (ПП РФ № 354 п. 59(1): from at least 3),
  prorated by the days elapsed.
Cost: each zone's volume × the rate of the tariff in force today (kopecks, rounded half up).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from models.enums import TariffZone
from services.billing.calendar import month_end
from services.billing.estimates import MIN_HISTORY_MONTHS


class MonthToDateBasis(StrEnum):
    SMART_METER = "SMART_METER"
    LAST_READING = "LAST_READING"
    AVERAGE = "AVERAGE"


@dataclass(frozen=True, slots=True)
class ReadingPace:
    """Per zone: kWh between the last reading before the month (taken on `since`) and the latest this month."""

    since: date
    until: date
    volumes: Mapping[TariffZone, int]


@dataclass(frozen=True, slots=True)
class MonthToDate:
    basis: MonthToDateBasis
    consumed_kwh: int
    cost: int  # kopecks
    forecast_kwh: int
    forecast_cost: int  # kopecks


def _scale(value: int, numerator: int, denominator: int) -> int:
    return (2 * value * numerator + denominator) // (2 * denominator)


def _cost(volumes: Mapping[TariffZone, int], rates: Mapping[TariffZone, int]) -> int:
    return sum(kwh * rates[zone] for zone, kwh in volumes.items() if zone in rates)


def month_to_date(
    *,
    today: date,
    hours_elapsed: int,
    rates: Mapping[TariffZone, int],
    smart_wh: Mapping[TariffZone, int] | None = None,
    reading: ReadingPace | None = None,
    history_months: int = 0,
    history_volumes: Mapping[TariffZone, int] | None = None,
) -> MonthToDate | None:
    """`today` local; `hours_elapsed` since the month's first hour (local). None: nothing to base it on."""
    days_in_month = month_end(today).day
    month_hours = days_in_month * 24
    if smart_wh is not None and hours_elapsed > 0:
        so_far = {zone: _scale(wh, 1, 1000) for zone, wh in smart_wh.items()}
        forecast = {zone: _scale(kwh, month_hours, hours_elapsed) for zone, kwh in so_far.items()}
        return _result(MonthToDateBasis.SMART_METER, so_far, forecast, rates)
    if reading is not None and reading.until >= today.replace(day=1) and reading.until > reading.since:
        span_days = (reading.until - reading.since).days
        elapsed_days = today.day
        so_far = {zone: _scale(kwh, elapsed_days, span_days) for zone, kwh in reading.volumes.items()}
        forecast = {zone: _scale(kwh, days_in_month, span_days) for zone, kwh in reading.volumes.items()}
        return _result(MonthToDateBasis.LAST_READING, so_far, forecast, rates)
    if history_volumes and history_months >= MIN_HISTORY_MONTHS:
        forecast = {zone: _scale(kwh, 1, history_months) for zone, kwh in history_volumes.items()}
        so_far = {zone: _scale(kwh, today.day, days_in_month) for zone, kwh in forecast.items()}
        return _result(MonthToDateBasis.AVERAGE, so_far, forecast, rates)
    return None


def _result(
    basis: MonthToDateBasis,
    so_far: Mapping[TariffZone, int],
    forecast: Mapping[TariffZone, int],
    rates: Mapping[TariffZone, int],
) -> MonthToDate:
    return MonthToDate(
        basis=basis,
        consumed_kwh=sum(so_far.values()),
        cost=_cost(so_far, rates),
        forecast_kwh=sum(forecast.values()),
        forecast_cost=_cost(forecast, rates),
    )


# The time-of-day zones of the tariff decision (Приказ ФСТ России от 12.12.2012 № 1020-э for the Arkhangelsk
# region, local time): night 23:00–07:00; in three zones peak 07–10 and 17–21, semi-peak 10–17 and 21–23.
_PEAK_HOURS = frozenset({7, 8, 9, 17, 18, 19, 20})
_NIGHT_HOURS = frozenset({23, 0, 1, 2, 3, 4, 5, 6})


def zone_of_hour(*, zone_count: int, hour: int) -> TariffZone:
    """The tariff zone of a local clock hour (0–23) for a meter of `zone_count` zones."""
    if zone_count == 1:
        return TariffZone.SINGLE
    if hour in _NIGHT_HOURS:
        return TariffZone.NIGHT
    if zone_count == 2:
        return TariffZone.DAY
    return TariffZone.PEAK if hour in _PEAK_HOURS else TariffZone.SEMI_PEAK

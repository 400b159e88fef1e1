"""Smart-meter (ИСУ) data of one meter: metering point, hourly profile, daily registers, power extremes, journal.

The hourly profile comes first; the daily registers are its running sums from a starting register value, and the
monthly ISU readings of the meter are those registers (in whole kWh) on the reading days, so every screen of the
portal tells the same story. Readings before the profile starts are generated backwards from the first register.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from models.enums import (
    ExtremeKind,
    IsuEventCategory,
    PowerQuantity,
    ReadingSource,
    TariffScale,
)
from services.demo.bulk import IdCounters, Row, Rows
from services.demo.periods import DemoCalendar, local_datetime, month_start
from services.demo.readings import HOME_SEASON, ZONE_SHARES, MeterSeries, monthly_consumption, reading_days

# A flat's day, hour by hour (local time): the fridge at night, breakfast, the empty flat, dinner and the evening.
HOUR_SHAPE = (
    0.45, 0.40, 0.38, 0.37, 0.37, 0.40, 0.60, 1.00, 1.10, 0.85, 0.70, 0.65,
    0.70, 0.70, 0.65, 0.65, 0.75, 1.00, 1.35, 1.50, 1.50, 1.35, 1.05, 0.70,
)  # fmt: skip
_MEAN_SHAPE = sum(HOUR_SHAPE) / 24
# Zone index of each local hour, per zone scheme (see models.enums.TariffZone for the hours).
HOUR_ZONES: dict[int, tuple[int, ...]] = {
    1: (0,) * 24,
    2: tuple(0 if 7 <= hour < 23 else 1 for hour in range(24)),
    3: tuple(2 if hour < 7 or hour == 23 else 0 if 7 <= hour < 10 or 17 <= hour < 21 else 1 for hour in range(24)),
}
SCALES = (TariffScale.T1, TariffScale.T2, TariffScale.T3)
# Category, code, description, and how many in 13 months (at least, at most). Every meter has a magnetic-field and a
# cover-opened entry, which the demo appeals ask about.
JOURNAL: tuple[tuple[IsuEventCategory, int, str, int, int], ...] = (
    (IsuEventCategory.VOLTAGE, 3, "Превышение напряжения", 1, 4),
    (IsuEventCategory.VOLTAGE, 5, "Напряжение ниже нормы", 0, 3),
    (IsuEventCategory.CURRENT, 9, "Превышение максимального тока", 0, 1),
    (IsuEventCategory.CORRECTION, 1, "Коррекция времени", 1, 4),
    (IsuEventCategory.EXTERNAL_IMPACT, 41, "Воздействие магнитного поля", 1, 1),
    (IsuEventCategory.UNAUTHORIZED_ACCESS, 1, "Вскрытие крышки клеммной колодки", 1, 1),
    (IsuEventCategory.CONNECTION, 2, "Потеря связи с устройством сбора данных", 0, 2),
    (IsuEventCategory.SELF_DIAGNOSTICS, 1, "Самодиагностика: ошибок не обнаружено", 1, 3),
    (IsuEventCategory.POWER_QUALITY, 7, "Отклонение частоты сети", 0, 1),
)


def _channels(rng: random.Random, mean_wh: float, hour: int, weekend: bool, season: float) -> tuple[int, int, int, int]:
    daytime_at_home = 1.25 if weekend and 10 <= hour < 18 else 1.0
    a_plus = int(mean_wh * HOUR_SHAPE[hour] / _MEAN_SHAPE * daytime_at_home * season * (0.7 + 0.6 * rng.random()))
    a_minus = rng.randint(1, 4) if rng.random() < 0.002 else 0  # a flat exports nothing, save for the odd glitch
    return a_plus, a_minus, int(a_plus * (0.08 + 0.1 * rng.random())), int(4 * rng.random())


def add_smart_meter(
    rows: Rows,
    ids: IdCounters,
    rng: random.Random,
    *,
    calendar: DemoCalendar,
    meter_id: int,
    account_id: int,
    zone_count: int,
    digits: int,
    mean_kwh: float,
    address: str,
    installed_on: date,
) -> MeterSeries:
    point_id = ids.take("metering_point")
    rows["metering_point"].append(
        (
            point_id,
            meter_id,
            account_id,
            f"2901{meter_id:08d}",
            f"2902{account_id:08d}",
            address,
            1,
            1,
            installed_on,
            Decimal(rng.choice(("10.00", "15.00"))),
        )
    )
    hour_zones = HOUR_ZONES[zone_count]
    shares = ZONE_SHARES[zone_count]
    # Registers per zone and channel (A+, A−, R+, R−) in Wh at the start of the profile: years of use already.
    registers = [
        [int(rng.uniform(9_000, 20_000) * share * 1000), rng.randint(0, 2000), 0, rng.randint(0, 5000)]
        for share in shares
    ]
    for register in registers:
        register[2] = register[0] * 12 // 100
    # Hours are counted in UTC from local midnight; Moscow time has had no DST since 2014, so hour_index % 24 is
    # the local hour of the day.
    start = local_datetime(calendar.profile_start).astimezone(UTC)
    hours = int((calendar.now - start) // timedelta(hours=1))
    mean_wh = mean_kwh * 1000 / (365.25 * 24 / 12)
    profile, daily = rows["isu_hourly_profile"], rows["isu_daily_register"]
    kwh_on: dict[date, list[int]] = {}
    month_hours: dict[date, list[tuple[datetime, tuple[int, int, int, int]]]] = {}
    day = calendar.profile_start
    for hour_index in range(hours):
        hour = hour_index % 24
        if hour == 0:
            day = calendar.profile_start + timedelta(days=hour_index // 24)
            _add_daily_registers(daily, point_id, day, registers)
            kwh_on[day] = [register[0] // 1000 for register in registers]
        at = start + timedelta(hours=hour_index)
        energy = _channels(rng, mean_wh, hour, day.weekday() >= 5, HOME_SEASON[day.month - 1])
        profile.append((point_id, at, *energy))
        register = registers[hour_zones[hour]]
        for channel in range(4):
            register[channel] += energy[channel]
        month_hours.setdefault(month_start(day), []).append((at, energy))
    if calendar.today not in kwh_on:  # the profile ends exactly at midnight: today's register is complete too
        _add_daily_registers(daily, point_id, calendar.today, registers)
        kwh_on[calendar.today] = [register[0] // 1000 for register in registers]
    _add_power_extremes(rows, ids, rng, point_id, month_hours)
    _add_journal(rows, ids, rng, point_id=point_id, start=start, end=calendar.now)
    return _series_from_registers(
        rng, calendar, meter_id=meter_id, zone_count=zone_count, digits=digits, mean_kwh=mean_kwh, kwh_on=kwh_on
    )


def _add_daily_registers(daily: list[Row], point_id: int, day: date, registers: list[list[int]]) -> None:
    daily.append((point_id, day, TariffScale.TOTAL.value, *(sum(channel) for channel in zip(*registers, strict=True))))
    for scale, register in zip(SCALES, registers, strict=False):
        daily.append((point_id, day, scale.value, *register))


def _series_from_registers(
    rng: random.Random,
    calendar: DemoCalendar,
    *,
    meter_id: int,
    zone_count: int,
    digits: int,
    mean_kwh: float,
    kwh_on: dict[date, list[int]],
) -> MeterSeries:
    periods = calendar.reading_periods
    sources = [ReadingSource.ISU] * len(periods)
    taken_on = reading_days(rng, periods, sources)
    first_day = calendar.profile_start
    values: list[list[int]] = [[0] * len(periods) for _ in range(zone_count)]
    first_known = next(index for index, day in enumerate(taken_on) if day >= first_day)
    for index in range(first_known, len(periods)):
        for zone_index, kwh in enumerate(kwh_on[taken_on[index]]):
            values[zone_index][index] = kwh
    earlier = monthly_consumption(rng, periods=periods, zone_count=zone_count, mean_kwh=mean_kwh)
    for zone_index in range(zone_count):
        # From the profile's first register back to the last reading before it, then month by month.
        gap_days = (first_day - taken_on[first_known - 1]).days
        gap = int(mean_kwh * ZONE_SHARES[zone_count][zone_index] * gap_days / 30)
        values[zone_index][first_known - 1] = kwh_on[first_day][zone_index] - gap
        for index in range(first_known - 1, 0, -1):
            values[zone_index][index - 1] = values[zone_index][index] - earlier[zone_index][index]
    return MeterSeries(
        meter_id=meter_id, zone_count=zone_count, digits=digits, taken_on=taken_on, values=values, sources=sources
    )


def _add_power_extremes(
    rows: Rows,
    ids: IdCounters,
    rng: random.Random,
    point_id: int,
    month_hours: dict[date, list[tuple[datetime, tuple[int, int, int, int]]]],
) -> None:
    """Instantaneous extremes lie beyond the hour's mean power: peaks of a kettle, the fridge's pauses."""
    extremes = rows["isu_power_extreme"]
    for period, hours in month_hours.items():
        busiest = max(hours, key=lambda item: item[1][0])
        quietest = min(hours, key=lambda item: item[1][0])
        for kind, (at, energy), factor in ((ExtremeKind.MAX, busiest, 2.2), (ExtremeKind.MIN, quietest, 0.5)):
            active = int(energy[0] * factor * (0.9 + 0.2 * rng.random()))
            reactive = int(energy[2] * factor * (0.9 + 0.2 * rng.random()))
            moment = at + timedelta(minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
            for quantity, value in (
                (PowerQuantity.ACTIVE, active),
                (PowerQuantity.REACTIVE, reactive),
                (PowerQuantity.APPARENT, int(math.hypot(active, reactive))),
            ):
                extremes.append(
                    (ids.take("isu_power_extreme"), point_id, period, quantity.value, kind.value, value, moment)
                )


def _add_journal(
    rows: Rows, ids: IdCounters, rng: random.Random, *, point_id: int, start: datetime, end: datetime
) -> None:
    span = (end - start).total_seconds() - 4 * 3600
    events: list[tuple[datetime, IsuEventCategory, int, str]] = []
    for _ in range(rng.randint(4, 7)):  # outages: each one logs both edges
        off = start + timedelta(seconds=int(rng.random() * span))
        events.append((off, IsuEventCategory.ON_OFF, 1, "Отключение питания"))
        events.append((off + timedelta(minutes=rng.randint(3, 180)), IsuEventCategory.ON_OFF, 2, "Включение питания"))
    for category, code, description, at_least, at_most in JOURNAL:
        for _ in range(rng.randint(at_least, at_most)):
            events.append((start + timedelta(seconds=int(rng.random() * span)), category, code, description))
    for at, category, code, description in sorted(events, key=lambda event: event[0]):
        rows["isu_event"].append((ids.take("isu_event"), point_id, at, category.value, code, description))

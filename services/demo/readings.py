"""Monthly register values of a meter and the accepted readings they become.

A series holds, per zone, one register value per reading period of the calendar (the month before the first billed
one, every billed month and the settled months after). Consumption is generated first and the start value chosen
after it, so that a series can be made to end at a given value or to pass the register's capacity (wrap to 0).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from models.enums import ZONES_BY_COUNT, ReadingSource, ReadingStatus
from services.demo.bulk import IdCounters, Rows
from services.demo.periods import local_datetime

# Share of a month's energy per zone, in the order of ZONES_BY_COUNT: night tariffs move a third of it to the night.
ZONE_SHARES: dict[int, tuple[float, ...]] = {1: (1.0,), 2: (0.68, 0.32), 3: (0.38, 0.34, 0.28)}
# Consumption by calendar month relative to the yearly mean: long dark winters in Arkhangelsk, white nights in June.
HOME_SEASON = (1.30, 1.22, 1.08, 0.95, 0.85, 0.75, 0.72, 0.78, 0.90, 1.03, 1.18, 1.32)
# A dacha is lived in from May to September.
DACHA_SEASON = (0.30, 0.30, 0.40, 0.60, 1.20, 1.80, 2.00, 1.80, 1.10, 0.60, 0.40, 0.30)
INTEGRATION_SOURCES = frozenset({ReadingSource.UTILITY_PROVIDER, ReadingSource.GRID_COMPANY, ReadingSource.ISU})
_ACCEPTED = ReadingStatus.ACCEPTED.value


@dataclass(slots=True)
class MeterSeries:
    meter_id: int
    zone_count: int
    digits: int
    taken_on: list[date]
    values: list[list[int]]  # values[zone index][reading period index]
    sources: list[ReadingSource]
    submission_ids: dict[int, int] = field(default_factory=dict)  # reading period index → reading_submission.id

    @property
    def modulus(self) -> int:
        modulus: int = 10**self.digits
        return modulus

    def consumption(self, zone_index: int, period_index: int) -> int:
        """kWh between the previous reading and this one, across a wrap of the register."""
        values = self.values[zone_index]
        return (values[period_index] - values[period_index - 1]) % self.modulus


def monthly_consumption(
    rng: random.Random,
    *,
    periods: tuple[date, ...],
    zone_count: int,
    mean_kwh: float,
    season: tuple[float, ...] = HOME_SEASON,
) -> list[list[int]]:
    """kWh per zone for each reading period; the first (the baseline reading) has none."""
    shares = ZONE_SHARES[zone_count]
    per_zone: list[list[int]] = [[0] for _ in shares]
    for period in periods[1:]:
        total = mean_kwh * season[period.month - 1] * (0.85 + 0.3 * rng.random())
        for zone_kwh, share in zip(per_zone, shares, strict=True):
            zone_kwh.append(int(total * share * (0.9 + 0.2 * rng.random())))
    return per_zone


def reading_days(rng: random.Random, periods: tuple[date, ...], sources: list[ReadingSource]) -> list[date]:
    """Customers send readings in the window from the 15th; integrations and inspectors come on the 20th-25th."""
    return [
        period.replace(day=rng.randint(15 if source is ReadingSource.CUSTOMER else 20, 25))
        for period, source in zip(periods, sources, strict=True)
    ]


def mixed_sources(rng: random.Random, primary: ReadingSource, count: int) -> list[ReadingSource]:
    """Mostly the usual source; now and then a control inspection (контрольный обход) or the provider instead."""
    sources: list[ReadingSource] = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.06:
            sources.append(ReadingSource.CONTROL_INSPECTION)
        elif draw < 0.12 and primary is ReadingSource.CUSTOMER:
            sources.append(ReadingSource.UTILITY_PROVIDER)
        else:
            sources.append(primary)
    return sources


def plain_series(
    rng: random.Random,
    *,
    meter_id: int,
    zone_count: int,
    digits: int,
    periods: tuple[date, ...],
    mean_kwh: float,
    sources: list[ReadingSource],
    season: tuple[float, ...] = HOME_SEASON,
    ends_at: int | None = None,
    wraps: bool = False,
) -> MeterSeries:
    """A register history; `ends_at` fixes the first zone's last value, `wraps` makes it pass the capacity midway."""
    consumption = monthly_consumption(rng, periods=periods, zone_count=zone_count, mean_kwh=mean_kwh, season=season)
    modulus = 10**digits
    values: list[list[int]] = []
    for zone_index, zone_kwh in enumerate(consumption):
        total = sum(zone_kwh)
        if zone_index == 0 and wraps:
            start = modulus - total // 2
        elif zone_index == 0 and ends_at is not None:
            start = ends_at - total
        else:
            start = rng.randint(0, max(0, modulus // 2 - total)) if zone_index == 0 else rng.randint(0, modulus // 8)
        if not 0 <= start < modulus or (start + total >= modulus and not wraps):
            raise ValueError(f"meter {meter_id}: {total} kWh do not fit a {digits}-digit register from {start}")
        running = start
        zone_values = []
        for kwh in zone_kwh:
            running = (running + kwh) % modulus
            zone_values.append(running)
        values.append(zone_values)
    return MeterSeries(
        meter_id=meter_id,
        zone_count=zone_count,
        digits=digits,
        taken_on=reading_days(rng, periods, sources),
        values=values,
        sources=sources,
    )


def add_reading_rows(rows: Rows, ids: IdCounters, series: MeterSeries, periods: tuple[date, ...]) -> None:
    readings = rows["reading"]
    zones = [zone.value for zone in ZONES_BY_COUNT[series.zone_count]]
    meter_id = series.meter_id
    first_id = ids.take("reading", len(periods) * len(zones))
    for period_index, period in enumerate(periods):
        taken_on = series.taken_on[period_index]
        source = series.sources[period_index]
        submission_id = series.submission_ids.get(period_index)
        created_at = local_datetime(taken_on, 18)
        for zone_index, zone in enumerate(zones):
            external_id = f"{meter_id}:{period:%Y-%m}:{zone}" if source in INTEGRATION_SOURCES else None
            readings.append(
                (
                    first_id + period_index * len(zones) + zone_index,
                    meter_id,
                    zone,
                    series.values[zone_index][period_index],
                    taken_on,
                    period,
                    source.value,
                    _ACCEPTED,
                    submission_id,
                    external_id,
                    created_at,
                )
            )

"""Reference tables: tariffs, the Bank of Russia key rate and consumption norms."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date
from typing import Any

from models.enums import ZONES_BY_COUNT, ObjectKind, TariffCategory, TariffZone
from services.demo.periods import DemoCalendar

# The regional single-zone rate for urban households with gas stoves in the oldest tariff year (6.06 ₽ per kWh, as on
# the 2023 receipts in the user manual); each 1 July it grows by about a tenth.
BASE_RATE_KOPECKS = 606
YEARLY_GROWTH = 1.10
# Households with electric stoves and rural ones pay with the federal reducing coefficient 0.7.
CATEGORY_FACTORS: dict[TariffCategory, float] = {
    TariffCategory.URBAN_GAS_STOVE: 1.0,
    TariffCategory.URBAN_ELECTRIC_STOVE: 0.7,
    TariffCategory.RURAL: 0.7,
    TariffCategory.NON_HOUSEHOLD: 1.45,  # organisations: the unregulated price, without VAT
}
ZONE_FACTORS: dict[tuple[int, TariffZone], float] = {
    (1, TariffZone.SINGLE): 1.0,
    (2, TariffZone.DAY): 1.16,
    (2, TariffZone.NIGHT): 0.56,
    (3, TariffZone.PEAK): 1.32,
    (3, TariffZone.SEMI_PEAK): 1.0,
    (3, TariffZone.NIGHT): 0.56,
}

# Bank of Russia key rate decisions (effective date, basis points), from the rate in force on 1 January 2023.
KEY_RATES: tuple[tuple[date, int], ...] = (
    (date(2022, 9, 19), 750),
    (date(2023, 7, 24), 850),
    (date(2023, 8, 15), 1200),
    (date(2023, 9, 18), 1300),
    (date(2023, 10, 30), 1500),
    (date(2023, 12, 18), 1600),
    (date(2024, 7, 29), 1800),
    (date(2024, 9, 16), 1900),
    (date(2024, 10, 28), 2100),
    (date(2025, 6, 9), 2000),
    (date(2025, 7, 28), 1800),
    (date(2025, 9, 15), 1700),
    (date(2025, 10, 27), 1650),
    (date(2025, 12, 22), 1600),
)

# Monthly kWh per resident by household size (1..5, where 5 means five or more), per object kind.
CONSUMPTION_NORMS: dict[ObjectKind, tuple[int, ...]] = {
    ObjectKind.FLAT: (133, 83, 64, 52, 45),
    ObjectKind.PRIVATE_HOUSE: (172, 107, 83, 67, 58),
    ObjectKind.COUNTRY_HOUSE: (96, 60, 46, 37, 32),
    ObjectKind.NON_RESIDENTIAL: (60, 60, 60, 60, 60),
}

TariffKey = tuple[TariffCategory, int, TariffZone]


def key_rate_rows() -> list[tuple[Any, ...]]:
    return [(day, rate) for day, rate in KEY_RATES]


def consumption_norm_rows(*, first_id: int, valid_from: date) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for kind, norms in CONSUMPTION_NORMS.items():
        for residents, kwh in enumerate(norms, start=1):
            rows.append((first_id + len(rows), kind.value, residents, kwh, valid_from))
    return rows


@dataclass(frozen=True, slots=True)
class TariffYear:
    valid_from: date
    valid_to: date | None
    rates: dict[TariffKey, int]


class TariffBook:
    """Rates per tariff year; a billing period always lies within one year, since tariffs change on the 1st."""

    def __init__(self, calendar: DemoCalendar) -> None:
        starts = calendar.tariff_starts
        self.years: tuple[TariffYear, ...] = tuple(
            TariffYear(
                valid_from=start,
                valid_to=starts[index + 1] if index + 1 < len(starts) else None,
                rates={
                    (category, zone_count, zone): round(
                        BASE_RATE_KOPECKS * YEARLY_GROWTH**index * category_factor * ZONE_FACTORS[(zone_count, zone)]
                    )
                    for category, category_factor in CATEGORY_FACTORS.items()
                    for zone_count, zones in ZONES_BY_COUNT.items()
                    for zone in zones
                },
            )
            for index, start in enumerate(starts)
        )
        self._starts = list(starts)

    def rates_on(self, period: date) -> dict[TariffKey, int]:
        index = bisect.bisect_right(self._starts, period) - 1
        if index < 0:
            raise ValueError(f"no tariff for {period}: the tariff table starts on {self._starts[0]}")
        return self.years[index].rates

    def rows(self, *, first_id: int) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for year in self.years:
            for (category, zone_count, zone), rate in year.rates.items():
                rows.append(
                    (first_id + len(rows), category.value, zone_count, zone.value, rate, year.valid_from, year.valid_to)
                )
        return rows

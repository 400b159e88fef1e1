"""Personal accounts and their meters: who lives where, what they use and what is on the wall."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from models.enums import ObjectKind, ReadingSource, TariffCategory
from services.demo.bulk import IdCounters, Rows
from services.demo.geography import (
    TOWN_STREETS,
    country_house_address,
    flat_address,
    garage_address,
    house_address,
    pick_town,
)
from services.demo.periods import DemoCalendar, add_months, local_datetime
from services.demo.readings import DACHA_SEASON, HOME_SEASON, MeterSeries, mixed_sources, plain_series
from services.demo.smart import add_smart_meter

VERIFICATION_INTERVAL_YEARS = 16  # межповерочный интервал of the household meters below


@dataclass(frozen=True, slots=True)
class MeterModel:
    name: str
    digits: int
    serial_prefix: str
    serial_length: int

    def serial(self, rng: random.Random) -> str:
        rest = self.serial_length - len(self.serial_prefix)
        return self.serial_prefix + str(rng.randrange(10**rest)).zfill(rest)


CE_101 = MeterModel("CE 101 R5 145", 5, "0077910", 15)
METER_MODELS: dict[int, tuple[MeterModel, ...]] = {
    1: (CE_101, MeterModel("Меркурий 201.8", 6, "4", 8), MeterModel("Нева 103 1SO", 6, "6", 9)),
    2: (MeterModel("Меркурий 200.02", 6, "3", 8), MeterModel("CE 102M S7 145", 6, "0116", 15),
        MeterModel("Нева МТ 114 AS", 6, "7", 9)),
    3: (MeterModel("Меркурий 200.04", 6, "3", 8), MeterModel("Нева МТ 114 AS", 6, "7", 9)),
}  # fmt: skip
SMART_MODELS = (MeterModel("CE 208 S7", 7, "0120", 15), MeterModel("Меркурий 206 PRNO", 8, "5", 8))
_KINDS = (ObjectKind.FLAT, ObjectKind.PRIVATE_HOUSE, ObjectKind.COUNTRY_HOUSE, ObjectKind.NON_RESIDENTIAL)
_KIND_WEIGHTS = (72, 86, 94, 100)
_ZONE_WEIGHTS = {ObjectKind.FLAT: (70, 92, 100), ObjectKind.PRIVATE_HOUSE: (55, 85, 100)}
_MEAN_KWH: dict[tuple[ObjectKind, TariffCategory], tuple[int, int]] = {
    (ObjectKind.FLAT, TariffCategory.URBAN_GAS_STOVE): (110, 230),
    (ObjectKind.FLAT, TariffCategory.URBAN_ELECTRIC_STOVE): (200, 360),
    (ObjectKind.PRIVATE_HOUSE, TariffCategory.RURAL): (280, 650),
    (ObjectKind.PRIVATE_HOUSE, TariffCategory.URBAN_GAS_STOVE): (250, 520),
    (ObjectKind.COUNTRY_HOUSE, TariffCategory.RURAL): (60, 220),
    (ObjectKind.NON_RESIDENTIAL, TariffCategory.URBAN_GAS_STOVE): (25, 110),
}
_AREA_M2 = {
    ObjectKind.FLAT: (28, 92),
    ObjectKind.PRIVATE_HOUSE: (60, 180),
    ObjectKind.COUNTRY_HOUSE: (18, 60),
    ObjectKind.NON_RESIDENTIAL: (18, 36),
}


@dataclass(slots=True)
class MeterSpec:
    id: int
    model: MeterModel
    serial: str
    zone_count: int
    installed_on: date
    primary_source: ReadingSource
    is_smart: bool = False
    wraps: bool = False
    ends_at: int | None = None


@dataclass(slots=True)
class AccountSpec:
    id: int
    number: str
    address: str
    locality: str
    kind: ObjectKind
    category: TariffCategory
    residents: int
    benefit_recipients: int
    area_m2: Decimal
    utility_provider_id: int | None
    opened_on: date
    mean_kwh: float
    meters: list[MeterSpec] = field(default_factory=list)

    @property
    def in_apartment_building(self) -> bool:
        return self.kind is ObjectKind.FLAT


def new_meter(
    rng: random.Random,
    ids: IdCounters,
    *,
    zone_count: int,
    installed_before: date,
    primary_source: ReadingSource,
    model: MeterModel | None = None,
    smart: bool = False,
) -> MeterSpec:
    if model is None:
        model = rng.choice(SMART_MODELS if smart else METER_MODELS[zone_count])
    # Smart meters are recent (mandatory since 2022); the others may be old enough to be overdue for verification.
    age_days = rng.randint(30, 700) if smart else rng.randint(30, 6200)
    return MeterSpec(
        id=ids.take("meter"),
        model=model,
        serial=model.serial(rng),
        zone_count=zone_count,
        installed_on=installed_before - timedelta(days=age_days),
        primary_source=primary_source,
        is_smart=smart,
    )


def random_account(
    rng: random.Random, ids: IdCounters, *, number: str, calendar: DemoCalendar, provider_ids: list[int]
) -> AccountSpec:
    kind = rng.choices(_KINDS, cum_weights=_KIND_WEIGHTS)[0]
    provider_id: int | None = None
    category = TariffCategory.URBAN_GAS_STOVE
    if kind is ObjectKind.FLAT:
        locality = pick_town(rng)
        address = flat_address(rng, locality)
        provider_id = rng.choice(provider_ids) if provider_ids else None
        electric_share = 0.6 if locality == "Северодвинск" else 0.2
        category = TariffCategory.URBAN_ELECTRIC_STOVE if rng.random() < electric_share else category
        residents = rng.choices((1, 2, 3, 4), cum_weights=(25, 60, 85, 100))[0]
    elif kind is ObjectKind.PRIVATE_HOUSE:
        if rng.random() < 0.7:
            address, locality = house_address(rng)
            category = TariffCategory.RURAL
        else:
            locality = pick_town(rng)
            address = f"г. {locality}, {rng.choice(TOWN_STREETS[locality])}, д. {rng.randint(1, 90)}"
        residents = rng.randint(1, 5)
    elif kind is ObjectKind.COUNTRY_HOUSE:
        address, locality = country_house_address(rng)
        category = TariffCategory.RURAL
        residents = rng.randint(1, 2)
    else:
        address, locality = garage_address(rng)
        residents = 1
    low, high = _MEAN_KWH[(kind, category)]
    area_low, area_high = _AREA_M2[kind]
    draw = rng.random()
    spec = AccountSpec(
        id=ids.take("personal_account"),
        number=number,
        address=address,
        locality=locality,
        kind=kind,
        category=category,
        residents=residents,
        benefit_recipients=min(residents, 2 if draw < 0.05 else 1 if draw < 0.2 else 0),
        area_m2=Decimal(f"{rng.uniform(area_low, area_high):.2f}"),
        utility_provider_id=provider_id,
        opened_on=calendar.reading_periods[0] - timedelta(days=rng.randint(60, 6000)),
        mean_kwh=rng.uniform(low, high),
    )
    zone_count = rng.choices((1, 2, 3), cum_weights=_ZONE_WEIGHTS.get(kind, (80, 100, 100)))[0]
    if kind is ObjectKind.FLAT:
        primary = ReadingSource.UTILITY_PROVIDER if rng.random() < 0.4 else ReadingSource.CUSTOMER
    elif kind is ObjectKind.NON_RESIDENTIAL:
        primary = ReadingSource.CUSTOMER
    else:
        primary = ReadingSource.GRID_COMPANY if rng.random() < 0.4 else ReadingSource.CUSTOMER
    periods = calendar.reading_periods
    meter_count = 2 if kind in (ObjectKind.PRIVATE_HOUSE, ObjectKind.COUNTRY_HOUSE) and rng.random() < 0.25 else 1
    for _ in range(meter_count):  # a second meter: a bathhouse or a workshop on the same plot, same zone scheme
        spec.meters.append(
            new_meter(rng, ids, zone_count=zone_count, installed_before=periods[0], primary_source=primary)
        )
    return spec


def add_account_rows(rows: Rows, spec: AccountSpec) -> None:
    rows["personal_account"].append(
        (
            spec.id,
            spec.number,
            spec.address,
            spec.locality,
            spec.kind.value,
            spec.category.value,
            spec.residents,
            spec.benefit_recipients,
            spec.area_m2,
            spec.utility_provider_id,
            spec.in_apartment_building,
            spec.opened_on,
            local_datetime(spec.opened_on, 9),
        )
    )
    for meter in spec.meters:
        rows["meter"].append(
            (
                meter.id,
                spec.id,
                None,
                meter.serial,
                meter.model.name,
                meter.zone_count,
                meter.model.digits,
                add_months(meter.installed_on, VERIFICATION_INTERVAL_YEARS * 12),
                meter.is_smart,
                meter.installed_on,
            )
        )


def account_series(
    rows: Rows, ids: IdCounters, rng: random.Random, spec: AccountSpec, calendar: DemoCalendar
) -> list[MeterSeries]:
    """Register histories of the account's meters; smart ones bring their ИСУ data along."""
    series = []
    share = 1 / len(spec.meters)
    season = DACHA_SEASON if spec.kind is ObjectKind.COUNTRY_HOUSE else HOME_SEASON
    periods = calendar.reading_periods
    for meter in spec.meters:
        if meter.is_smart:
            series.append(
                add_smart_meter(
                    rows,
                    ids,
                    rng,
                    calendar=calendar,
                    meter_id=meter.id,
                    account_id=spec.id,
                    zone_count=meter.zone_count,
                    digits=meter.model.digits,
                    mean_kwh=spec.mean_kwh,
                    address=spec.address,
                    installed_on=meter.installed_on,
                )
            )
            continue
        series.append(
            plain_series(
                rng,
                meter_id=meter.id,
                zone_count=meter.zone_count,
                digits=meter.model.digits,
                periods=periods,
                mean_kwh=spec.mean_kwh * share,
                sources=mixed_sources(rng, meter.primary_source, len(periods)),
                season=season,
                ends_at=meter.ends_at,
                wraps=meter.wraps,
            )
        )
    return series

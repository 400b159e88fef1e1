"""The accounts the demo is built around: the demo customer's three households, the other smart meters and the
meter whose register wraps."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from models.enums import ObjectKind, ReadingSource, TariffCategory
from services.demo.bulk import IdCounters
from services.demo.households import CE_101, METER_MODELS, SMART_MODELS, AccountSpec, MeterSpec, new_meter
from services.demo.periods import DemoCalendar

SMART_FLATS = 4  # besides the demo customer's


def demo_accounts(
    rng: random.Random, ids: IdCounters, calendar: DemoCalendar, numbers: list[str], provider_ids: list[int]
) -> tuple[AccountSpec, AccountSpec, AccountSpec]:
    """A flat with the meter from the user manual's screenshots, a flat with a smart meter, a village house."""
    first_reading = calendar.reading_periods[0]

    def account(
        number: str,
        address: str,
        locality: str,
        kind: ObjectKind,
        *,
        category: TariffCategory,
        residents: int,
        area: str,
        provider: int | None,
        mean_kwh: float,
    ) -> AccountSpec:
        return AccountSpec(
            id=ids.take("personal_account"),
            number=number,
            address=address,
            locality=locality,
            kind=kind,
            category=category,
            residents=residents,
            benefit_recipients=1 if kind is ObjectKind.PRIVATE_HOUSE else 0,
            area_m2=Decimal(area),
            utility_provider_id=provider,
            opened_on=first_reading - timedelta(days=2900),
            mean_kwh=mean_kwh,
        )

    flat = account(
        numbers[0],
        "г. Архангельск, пр-кт Обводного Канала, д. 32, кв. 18",
        "Архангельск",
        ObjectKind.FLAT,
        category=TariffCategory.URBAN_GAS_STOVE,
        residents=2,
        area="54.30",
        provider=provider_ids[0],
        mean_kwh=189,
    )
    smart_flat = account(
        numbers[1],
        "г. Архангельск, пр-кт Троицкий, д. 52, кв. 41",
        "Архангельск",
        ObjectKind.FLAT,
        category=TariffCategory.URBAN_ELECTRIC_STOVE,
        residents=3,
        area="67.80",
        provider=provider_ids[2],
        mean_kwh=290,
    )
    house = account(
        numbers[2],
        "Архангельская обл., Приморский р-н, д. Лисестрово, ул. Лесная, д. 7",
        "Лисестрово",
        ObjectKind.PRIVATE_HOUSE,
        category=TariffCategory.RURAL,
        residents=4,
        area="124.50",
        provider=None,
        mean_kwh=520,
    )
    flat.meters.append(
        MeterSpec(
            id=ids.take("meter"),
            model=CE_101,
            serial="007791062066340",
            zone_count=1,
            installed_on=first_reading - timedelta(days=2200),
            primary_source=ReadingSource.CUSTOMER,
            ends_at=16360,
        )
    )
    smart_flat.meters.append(
        new_meter(
            rng,
            ids,
            zone_count=2,
            installed_before=first_reading,
            primary_source=ReadingSource.ISU,
            model=SMART_MODELS[0],
            smart=True,
        )
    )
    house.meters.append(
        new_meter(
            rng,
            ids,
            zone_count=3,
            installed_before=first_reading,
            primary_source=ReadingSource.CUSTOMER,
            model=METER_MODELS[3][0],
        )
    )
    return flat, smart_flat, house


def fit_smart_meters_and_a_wrap(rng: random.Random, accounts: list[AccountSpec], calendar: DemoCalendar) -> None:
    """Smart meters go to flats in Arkhangelsk and Severodvinsk; one old 5-digit meter passes 99999 during history."""
    flats = [spec for spec in accounts if spec.kind is ObjectKind.FLAT and len(spec.meters) == 1]
    towns = [spec for spec in flats if spec.locality in ("Архангельск", "Северодвинск")]
    for index, spec in enumerate(towns[:SMART_FLATS]):
        meter = spec.meters[0]
        meter.model = SMART_MODELS[index % 2]
        meter.serial = meter.model.serial(rng)
        meter.zone_count = 2 if index < 2 else 1
        meter.is_smart = True
        meter.primary_source = ReadingSource.ISU
        meter.installed_on = calendar.reading_periods[0] - timedelta(days=rng.randint(30, 700))
    wrapping = next(spec for spec in flats[::-1] if not spec.meters[0].is_smart and spec.mean_kwh < 300)
    meter = wrapping.meters[0]
    meter.model, meter.serial, meter.zone_count, meter.wraps = CE_101, CE_101.serial(rng), 1, True

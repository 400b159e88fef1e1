"""Organisations in the demo: utility providers, grid companies, supply contracts and tech connections."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from models.enums import ContractHolderKind, ReadingSource, TechConnectionStatus
from services.demo.bulk import IdCounters, Rows
from services.demo.geography import UTILITY_PROVIDERS
from services.demo.periods import DemoCalendar, add_months
from services.demo.readings import add_reading_rows, mixed_sources, plain_series

_INN_WEIGHTS_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)

GRID_COMPANIES: tuple[tuple[str, str | None], ...] = (  # name, INN (None: made up with valid check digits)
    ("ПАО «Россети Северо-Запад» (филиал «Архэнерго»)", "7802312751"),
    ("АО «Архангельская областная энергетическая компания»", None),
    ("ООО «Северодвинская электросеть»", None),
)


@dataclass(frozen=True, slots=True)
class DeliveryPointSpec:
    name: str
    address: str
    capacity_kw: str
    meter_model: str
    zone_count: int
    mean_kwh: int


@dataclass(frozen=True, slots=True)
class ContractSpec:
    number: str
    holder_kind: ContractHolderKind
    holder_name: str
    points: tuple[DeliveryPointSpec, ...]


CONTRACTS: tuple[ContractSpec, ...] = (
    ContractSpec(
        "15-000123",
        ContractHolderKind.INDIVIDUAL_ENTREPRENEUR,
        "ИП Иванов Пётр Сергеевич",
        (DeliveryPointSpec("Магазин «У дома»", "г. Архангельск, ул. Воскресенская, д. 14, пом. 2-Н", "15.00",
                           "Меркурий 230 ART-01", 1, 900),),
    ),
    ContractSpec(
        "15-004517",
        ContractHolderKind.LEGAL_ENTITY,
        "ООО «Поморская рыбная компания»",
        (
            DeliveryPointSpec("Цех копчения", "г. Архангельск, ул. Кирпичного завода, д. 3, стр. 1", "150.00",
                              "CE 303 S31", 2, 9000),
            DeliveryPointSpec("Склад готовой продукции", "г. Архангельск, ул. Кирпичного завода, д. 3, стр. 2",
                              "40.00", "Меркурий 234 ARTM-00", 1, 2500),
        ),
    ),
    ContractSpec(
        "15-010288",
        ContractHolderKind.LEGAL_ENTITY,
        "ООО «Двина-Сервис»",
        (DeliveryPointSpec("Автосервис", "г. Новодвинск, ул. Энергетиков, д. 21", "60.00", "CE 303 S31", 2, 3500),),
    ),
    ContractSpec(
        "15-002964",
        ContractHolderKind.INDIVIDUAL_ENTREPRENEUR,
        "ИП Шаньгина Ольга Николаевна",
        (DeliveryPointSpec("Парикмахерская", "г. Северодвинск, ул. Ломоносова, д. 81, пом. 4", "15.00",
                           "Меркурий 230 ART-01", 1, 600),),
    ),
)  # fmt: skip


def _inn(rng: random.Random, length: int, region: str = "29") -> str:
    """A random INN of the region with valid check digits: 10 digits for organisations, 12 for individuals."""

    def check(digits: str, weights: tuple[int, ...]) -> str:
        return str(sum(int(digit) * weight for digit, weight in zip(digits, weights, strict=True)) % 11 % 10)

    body = region + "".join(str(rng.randint(0, 9)) for _ in range(length - len(region) - (1 if length == 10 else 2)))
    if length == 10:
        return body + check(body, _INN_WEIGHTS_10)
    body += check(body, _INN_WEIGHTS_11)
    return body + check(body, _INN_WEIGHTS_12)


def add_utility_providers(rows: Rows, ids: IdCounters, rng: random.Random) -> list[int]:
    provider_ids = []
    for name, phone in UTILITY_PROVIDERS:
        provider_id = ids.take("utility_provider")
        rows["utility_provider"].append((provider_id, name, _inn(rng, 10), phone))
        provider_ids.append(provider_id)
    return provider_ids


def add_grid_companies(rows: Rows, ids: IdCounters, rng: random.Random) -> list[int]:
    company_ids = []
    for name, inn in GRID_COMPANIES:
        company_id = ids.take("grid_company")
        rows["grid_company"].append((company_id, name, inn or _inn(rng, 10)))
        company_ids.append(company_id)
    return company_ids


def add_contracts(
    rows: Rows,
    ids: IdCounters,
    rng: random.Random,
    *,
    calendar: DemoCalendar,
    holders: dict[str, list[int]],
) -> dict[str, int]:
    """The contracts with their delivery points, meters and readings; `holders`: number → customers linked to it."""
    contract_ids: dict[str, int] = {}
    periods = calendar.reading_periods
    for spec in CONTRACTS:
        contract_id = ids.take("contract")
        contract_ids[spec.number] = contract_id
        signed_on = periods[0] - timedelta(days=rng.randint(200, 3000))
        inn = _inn(rng, 10 if spec.holder_kind is ContractHolderKind.LEGAL_ENTITY else 12)
        rows["contract"].append(
            (contract_id, spec.number, inn, spec.holder_name, spec.holder_kind.value, signed_on, calendar.now)
        )
        for customer_id in holders.get(spec.number, []):
            linked_at = calendar.now - timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 12))
            rows["contract_link"].append((ids.take("contract_link"), customer_id, contract_id, linked_at))
        for point in spec.points:
            point_id = ids.take("delivery_point")
            rows["delivery_point"].append(
                (point_id, contract_id, point.name, point.address, Decimal(point.capacity_kw))
            )
            meter_id = ids.take("meter")
            installed_on = signed_on - timedelta(days=rng.randint(0, 60))
            rows["meter"].append(
                (
                    meter_id,
                    None,
                    point_id,
                    f"0128{rng.randint(10**10, 10**11 - 1)}",
                    point.meter_model,
                    point.zone_count,
                    7,
                    add_months(installed_on, 16 * 12),
                    False,
                    installed_on,
                )
            )
            primary = rng.choice((ReadingSource.CUSTOMER, ReadingSource.GRID_COMPANY))
            series = plain_series(
                rng,
                meter_id=meter_id,
                zone_count=point.zone_count,
                digits=7,
                periods=periods,
                mean_kwh=point.mean_kwh,
                sources=mixed_sources(rng, primary, len(periods)),
            )
            add_reading_rows(rows, ids, series, periods)
    return contract_ids


@dataclass(frozen=True, slots=True)
class Applicant:
    phone: str
    customer_id: int | None  # set when the phone belongs to a registered customer


_TECH_CONNECTIONS: tuple[tuple[str, str, TechConnectionStatus], ...] = (  # address, kW, status
    ("г. Архангельск, СНТ «Уйма», линия 3, уч. 57", "15.00", TechConnectionStatus.CONNECTED),
    ("Приморский р-н, д. Лисестрово, ул. Лесная, д. 9 (гараж)", "5.00", TechConnectionStatus.CONTRACT_OFFER_SENT),
    ("Холмогорский р-н, с. Ломоносово, ул. Центральная, д. 41", "15.00", TechConnectionStatus.CONTRACT_SIGNED),
    ("г. Северодвинск, СНТ «Беломорье», линия 8, уч. 112", "10.00", TechConnectionStatus.CONNECTED),
    ("г. Котлас, ул. Кедрова, д. 5, пом. 1", "30.00", TechConnectionStatus.CONTRACT_OFFER_SENT),
    ("Вельский р-н, пос. Кулой, ул. Полевая, д. 17", "15.00", TechConnectionStatus.CONNECTED),
    ("г. Новодвинск, СНТ «Двина», линия 2, уч. 14", "7.00", TechConnectionStatus.CANCELLED),
    ("Онежский р-н, д. Порог, ул. Набережная, д. 3", "15.00", TechConnectionStatus.CONTRACT_SIGNED),
)


def add_tech_connections(
    rows: Rows,
    ids: IdCounters,
    rng: random.Random,
    *,
    calendar: DemoCalendar,
    grid_company_ids: list[int],
    applicants: list[Applicant],
) -> list[tuple[int, str, int | None]]:
    """One tech connection per applicant, in the order given; returns (id, request number, customer id)."""
    created = []
    for index, (applicant, (address, capacity, status)) in enumerate(zip(applicants, _TECH_CONNECTIONS, strict=False)):
        connection_id = ids.take("tech_connection")
        company_id = grid_company_ids[index % len(grid_company_ids)]
        connected_on = None
        if status is not TechConnectionStatus.CANCELLED:
            connected_on = calendar.today - timedelta(days=rng.randint(7, 120))
        number = f"{calendar.today.year % 100:02d}-ТП-{rng.randint(1000, 99999):05d}"
        rows["tech_connection"].append(
            (
                connection_id,
                company_id,
                f"tp-{company_id}-{index + 1:04d}",
                number,
                applicant.phone,
                applicant.customer_id,
                address,
                Decimal(capacity),
                status.value,
                connected_on,
                calendar.now - timedelta(days=rng.randint(0, 6)),
            )
        )
        created.append((connection_id, number, applicant.customer_id))
    return created

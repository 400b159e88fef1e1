"""Organisations: the retail-market schedule (ПП РФ № 442 п. 82), ФЗ-35 penalty and VAT, per delivery point."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from models import Contract, DeliveryPoint, Meter
from models.enums import ChargeBasis, ContractHolderKind, ObjectKind, TariffCategory
from models.enums import TariffZone as Zone
from services.billing.allocation import Obligation
from services.billing.close import close_period
from services.billing.estimates import estimate_organisation_volumes
from services.billing.key_rates import KeyRateTable
from services.billing.penalty import PayerKind
from services.billing.schedule import organisation_schedule
from services.billing.statements import AccountPeriod, compose_statement
from services.billing.tariffs import TariffTable
from services.billing.vat import vat_on, vat_percent
from services.platform.database import TransactionalDatabase
from tests.billing.test_close import NOW, rate, rows
from tests.billing.test_rules import NORMS
from tests.support.readings import add_readings


def test_schedule_thirty_percent_by_the_10th_forty_by_the_25th_the_rest_by_the_18th_of_the_next_month() -> None:
    items = organisation_schedule(period=date(2026, 5, 1), advance_base=1_000_000, total=1_200_000)
    assert [(item.due_on, item.amount) for item in items] == [
        (date(2026, 5, 10), 300_000),
        (date(2026, 5, 25), 400_000),
        (date(2026, 6, 18), 500_000),
    ]
    # Advances above the month's actual cost shrink (the later one first): the month owes its cost, no more.
    small = organisation_schedule(period=date(2026, 5, 1), advance_base=1_000_000, total=500_000)
    assert [(item.due_on, item.amount) for item in small] == [
        (date(2026, 5, 10), 300_000),
        (date(2026, 5, 25), 200_000),
    ]


def test_vat_is_20_percent_through_december_2025_and_22_percent_from_january_2026() -> None:
    assert vat_percent(period=date(2025, 12, 1)) == 20
    assert vat_percent(period=date(2026, 1, 1)) == 22
    assert vat_on(net=12_345, period=date(2025, 12, 1)) == 2_469  # 2 469.0
    assert vat_on(net=12_345, period=date(2026, 1, 1)) == 2_716  # 2 715.9 → 2 716
    assert vat_on(net=-12_345, period=date(2026, 1, 1)) == -2_716  # a recalculation gives VAT back


def test_organisation_estimates_two_periods_by_the_average_then_max_capacity_times_hours() -> None:
    def estimate(in_a_row: int) -> tuple[ChargeBasis, dict[Zone, int]]:
        result = estimate_organisation_volumes(
            estimated_in_a_row=in_a_row, history_months=4, history_volumes={Zone.SINGLE: 4_002},
            max_capacity_kw=Decimal("15.5"), hours=744,
        )  # fmt: skip
        return result.basis, result.volumes

    assert estimate(0) == estimate(1) == (ChargeBasis.AVERAGE, {Zone.SINGLE: 1_001})  # 4 002 / 4 = 1 000.5 → 1 001
    assert estimate(2) == (ChargeBasis.CAPACITY, {Zone.SINGLE: 11_532})  # 15.5 kW × 744 h (a 31-day month)


TARIFFS = TariffTable.of([(TariffCategory.NON_HOUSEHOLD, 1, Zone.SINGLE, 1_000, date(2025, 7, 1), None)])


def test_organisation_statement_net_charges_vat_penalty_from_the_day_after_each_due_date() -> None:
    draft = compose_statement(
        account=AccountPeriod(
            period=date(2026, 8, 1), category=TariffCategory.NON_HOUSEHOLD, object_kind=ObjectKind.NON_RESIDENTIAL,
            residents=0, zone_count=1, reading_period=date(2026, 8, 1), real_volumes={Zone.SINGLE: 1_000},
            payer=PayerKind.ORGANISATION, opening_balance=0,
            obligations=[
                Obligation(date(2026, 8, 1), date(2026, 8, 10), 300_000),
                Obligation(date(2026, 8, 1), date(2026, 8, 25), 400_000),
            ],
        ),
        tariffs=TARIFFS, norms=NORMS, key_rates=KeyRateTable.of([(date(2024, 1, 1), 1600)]),
    )  # fmt: skip
    assert (draft.charged, draft.vat, draft.due_on) == (1_000_000, 220_000, date(2026, 9, 18))
    # 1/130 of 9.5 % (16 % capped by the moratorium): 300 000 × 21 days (Aug 11…31) = 4 603.85 → 4 604;
    # 400 000 × 6 days (Aug 26…31) = 1 753.85 → 1 754
    assert [(line.intervals[0].start, line.amount) for line in draft.penalty_lines] == [
        (date(2026, 8, 11), 4_604),
        (date(2026, 8, 26), 1_754),
    ]
    assert draft.closing_balance == 1_000_000 + 220_000 + 4_604 + 1_754


def penalty_130(base: int, days: int, rate_bp: int = 950) -> int:
    """base × 9.5 % / 130 × days, to the kopeck (half up)."""
    return (2 * base * rate_bp * days + 10_000 * 130) // (2 * 10_000 * 130)


async def test_a_contract_delivery_point_through_two_closes(db: TransactionalDatabase) -> None:
    async with db.session() as session:
        contract = Contract(
            number="Д-TEST-1", inn="2901000001", holder_name="ООО «Тест»",
            holder_kind=ContractHolderKind.LEGAL_ENTITY, signed_on=date(2026, 1, 1), created_at=NOW,
        )  # fmt: skip
        session.add(contract)
        await session.flush()
        assert contract.id is not None
        point = DeliveryPoint(contract_id=contract.id, name="Склад", address="г. Архангельск, ул. Тестовая, д. 1")
        session.add(point)
        await session.flush()
        meter = Meter(
            delivery_point_id=point.id, serial="TEST-ORG-1", model="Меркурий 230", zone_count=1, digits=6,
            installed_on=date(2026, 1, 1),
        )  # fmt: skip
        session.add(meter)
        await session.commit()
    await add_readings(db, meter, [(date(2026, 9, 20), 1_000), (date(2026, 10, 20), 3_000)], now=NOW)
    await close_period(db=db, period=date(2026, 10, 1), now=NOW)
    await close_period(db=db, period=date(2026, 11, 1), now=NOW)
    oct_rate, nov_rate = (
        await rate(db, date(2026, 10, 1), category="NON_HOUSEHOLD"),
        await rate(db, date(2026, 11, 1), category="NON_HOUSEHOLD"),
    )
    statements = await rows(
        db,
        "SELECT period, charged, vat, penalty, closing_balance, due_on FROM statement WHERE delivery_point_id = :d"
        " ORDER BY period",
        d=point.id,
    )
    october_net = 2_000 * oct_rate
    october = october_net + (2 * october_net * 22 + 100) // 200
    a1, a2 = (2 * october * 30 + 100) // 200, (2 * october * 40 + 100) // 200
    # November: no reading, the average of the one metered month (2 000 kWh); nothing paid, so October's advances
    # (due Oct 10 and 25), its final payment (due Nov 18) and November's advances (on October's cost) all accrue.
    expected_penalty = (
        penalty_130(a1, 30) + penalty_130(a2, 30) + penalty_130(october - a1 - a2, 12)
        + penalty_130(a1, 20) + penalty_130(a2, 5)
    )  # fmt: skip
    november_net = 2_000 * nov_rate
    november_vat = (2 * november_net * 22 + 100) // 200
    assert statements == [
        (date(2026, 10, 1), october_net, october - october_net, 0, october, date(2026, 11, 18)),
        (
            date(2026, 11, 1), november_net, november_vat, expected_penalty,
            october + november_net + november_vat + expected_penalty, date(2026, 12, 18),
        ),
    ]  # fmt: skip
    channels = await rows(
        db,
        "SELECT channels FROM outbox_event WHERE type = 'statement.issued' AND (payload->>'delivery_point_id')::bigint"
        " = :d ORDER BY id",
        d=point.id,
    )
    assert channels == [([f"contract:{contract.id}"],), ([f"contract:{contract.id}"],)]

"""Calendar, allocation, volumes, estimates and statement composition at their edges."""

from __future__ import annotations

from datetime import date

import pytest

from models.enums import ChargeBasis, ChargeKind, ObjectKind, TariffCategory
from models.enums import TariffZone as Zone
from services.billing.allocation import Obligation, allocate_payment, unpaid_obligations
from services.billing.calendar import due_date, issue_date
from services.billing.estimates import NormTable, estimate_volumes
from services.billing.key_rates import KeyRateTable, percent_to_bp
from services.billing.recalculation import EstimatedCharge
from services.billing.statements import AccountPeriod, PaymentIn, compose_statement
from services.billing.tariffs import TariffTable
from services.billing.volumes import RegisterSpan, consumption_between, zone_volumes


def test_due_date_moves_from_the_10th_to_the_15th_with_the_bills_payable_from_march_2026() -> None:
    assert due_date(period=date(2026, 1, 1)) == date(2026, 2, 10)
    assert due_date(period=date(2026, 2, 1)) == date(2026, 3, 15)  # ФЗ № 177-ФЗ in force 2026-03-01
    assert due_date(period=date(2026, 3, 1)) == date(2026, 4, 15)
    assert due_date(period=date(2025, 12, 1)) == date(2026, 1, 10)
    assert issue_date(period=date(2026, 12, 1)) == date(2027, 1, 5)


def test_percent_to_basis_points() -> None:
    assert percent_to_bp("16") == 1600
    assert percent_to_bp("16,5") == 1650
    assert percent_to_bp("9.25") == 925
    for bad in ("abc", "0", "-1", "16.125", "101", "nan"):
        with pytest.raises(ValueError, match="key rate"):
            percent_to_bp(bad)


JAN, FEB, MAR = (Obligation(date(2026, month, 1), date(2026, month + 1, 10), amount) for month, amount in
                 ((1, 1_000), (2, 2_000), (3, 3_000)))  # fmt: skip


def test_payment_settles_the_oldest_period_first() -> None:
    allocation = allocate_payment(obligations=[MAR, JAN, FEB], amount=2_500)
    assert [(item.period.month, applied) for item, applied in allocation.settled] == [(1, 1_000), (2, 1_500)]
    assert [(item.period.month, item.amount) for item in allocation.remaining] == [(2, 500), (3, 3_000)]
    assert allocation.advance == 0


def test_payment_naming_a_period_settles_it_first_then_the_oldest() -> None:
    allocation = allocate_payment(obligations=[JAN, FEB, MAR], amount=4_000, period=date(2026, 3, 1))
    assert [(item.period.month, applied) for item, applied in allocation.settled] == [(3, 3_000), (1, 1_000)]
    assert [(item.period.month, item.amount) for item in allocation.remaining] == [(2, 2_000)]


def test_overpayment_is_an_advance() -> None:
    assert allocate_payment(obligations=[JAN, FEB, MAR], amount=7_000).advance == 1_000


def test_a_debt_is_the_newest_charges() -> None:
    assert [(item.period.month, item.amount) for item in unpaid_obligations(debt=3_500, charges=[JAN, FEB, MAR])] == [
        (2, 500),
        (3, 3_000),
    ]
    assert [(item.period.month, item.amount) for item in unpaid_obligations(debt=7_000, charges=[JAN, FEB, MAR])] == [
        (1, 2_000),
        (2, 2_000),
        (3, 3_000),
    ]
    assert unpaid_obligations(debt=-100, charges=[JAN]) == []


def test_wraparound_month() -> None:
    assert consumption_between(previous=999_950, current=30, digits=6) == 80
    assert consumption_between(previous=99_990, current=10, digits=5) == 20
    assert consumption_between(previous=100, current=100, digits=6) == 0
    assert zone_volumes(
        [
            RegisterSpan(Zone.DAY, 6, 999_900, 150),
            RegisterSpan(Zone.NIGHT, 6, 500, 560),
            RegisterSpan(Zone.DAY, 6, None, 70),  # a new meter's first reading starts its register
        ]
    ) == {Zone.DAY: 250, Zone.NIGHT: 60}
    with pytest.raises(ValueError, match="register values"):
        consumption_between(previous=0, current=1_000_000, digits=6)


NORMS = NormTable.of([(ObjectKind.FLAT, residents, kwh) for residents, kwh in enumerate((133, 83, 64, 52, 45), 1)])


def test_two_and_three_estimated_periods_by_the_average_then_the_norm() -> None:
    def estimate(in_a_row: int, months: int = 3) -> tuple[ChargeBasis, dict[Zone, int]]:
        result = estimate_volumes(
            estimated_in_a_row=in_a_row, history_months=months, history_volumes={Zone.DAY: 301, Zone.NIGHT: 100},
            norms=NORMS, object_kind=ObjectKind.FLAT, residents=2,
        )  # fmt: skip
        return result.basis, result.volumes

    average = (ChargeBasis.AVERAGE, {Zone.DAY: 100, Zone.NIGHT: 33})  # 301 / 3 = 100.3; 100 / 3 = 33.3
    assert estimate(0) == average  # the 1st period without readings
    assert estimate(1) == average  # the 2nd
    assert estimate(2) == average  # the 3rd
    assert estimate(3) == (ChargeBasis.NORM, {Zone.SINGLE: 166})  # the 4th: 83 kWh × 2 residents
    assert estimate(0, months=2) == (ChargeBasis.NORM, {Zone.SINGLE: 166})  # less than 3 months of history
    assert NORMS.monthly_volume(object_kind=ObjectKind.FLAT, residents=7) == 45 * 7  # "5 or more" row
    assert NORMS.monthly_volume(object_kind=ObjectKind.FLAT, residents=0) == 133  # nobody registered: one


TARIFFS = TariffTable.of(
    [
        (TariffCategory.URBAN_GAS_STOVE, 1, Zone.SINGLE, 700, date(2025, 7, 1), date(2026, 7, 1)),
        (TariffCategory.URBAN_GAS_STOVE, 1, Zone.SINGLE, 770, date(2026, 7, 1), None),
        (TariffCategory.URBAN_GAS_STOVE, 2, Zone.DAY, 812, date(2025, 7, 1), date(2026, 7, 1)),
        (TariffCategory.URBAN_GAS_STOVE, 2, Zone.NIGHT, 392, date(2025, 7, 1), date(2026, 7, 1)),
        (TariffCategory.URBAN_GAS_STOVE, 2, Zone.DAY, 893, date(2026, 7, 1), None),
        (TariffCategory.URBAN_GAS_STOVE, 2, Zone.NIGHT, 431, date(2026, 7, 1), None),
    ]
)
KEY_RATES = KeyRateTable.of([(date(2024, 1, 1), 1600)])


def account(**changes: object) -> AccountPeriod:
    base: dict[str, object] = {
        "period": date(2026, 8, 1),
        "category": TariffCategory.URBAN_GAS_STOVE,
        "object_kind": ObjectKind.FLAT,
        "residents": 2,
        "zone_count": 1,
    }
    base.update(changes)
    return AccountPeriod(**base)  # type: ignore[arg-type]


def compose(**changes: object):  # type: ignore[no-untyped-def]
    return compose_statement(account=account(**changes), tariffs=TARIFFS, norms=NORMS, key_rates=KEY_RATES)


def test_metered_month_is_volume_times_the_rate_in_force() -> None:
    draft = compose(reading_period=date(2026, 8, 1), real_volumes={Zone.SINGLE: 150}, opening_balance=5_000)
    assert [(line.kind, line.basis, line.volume_kwh, line.rate_kopecks, line.amount) for line in draft.lines] == [
        (ChargeKind.CONSUMPTION, ChargeBasis.READINGS, 150, 770, 115_500)
    ]
    assert (draft.opening_balance, draft.charged, draft.closing_balance) == (5_000, 115_500, 120_500)
    assert (draft.issued_on, draft.due_on) == (date(2026, 9, 5), date(2026, 9, 15))
    june = compose(period=date(2026, 6, 1), reading_period=date(2026, 6, 1), real_volumes={Zone.SINGLE: 150})
    assert june.charged == 150 * 700  # the tariff of 2025-07-01 is still in force in June 2026


def test_late_reading_replaces_the_estimates_in_the_next_statement() -> None:
    estimates = [
        EstimatedCharge(date(2026, 6, 1), Zone.SINGLE, ChargeBasis.AVERAGE, 100, 700),
        EstimatedCharge(date(2026, 7, 1), Zone.SINGLE, ChargeBasis.AVERAGE, 100, 770),
    ]
    draft = compose(reading_period=date(2026, 8, 1), real_volumes={Zone.SINGLE: 350}, unreconciled=estimates)
    assert [(line.kind, line.volume_kwh, line.amount, line.recalculated_period) for line in draft.lines] == [
        (ChargeKind.RECALCULATION, -100, -70_000, date(2026, 6, 1)),
        (ChargeKind.RECALCULATION, -100, -77_000, date(2026, 7, 1)),
        (ChargeKind.CONSUMPTION, 350, 269_500, None),
    ]
    assert (draft.charged, draft.recalculated, draft.closing_balance) == (269_500, -147_000, 122_500)


def test_a_reading_for_an_already_billed_period_is_billed_as_its_recalculation() -> None:
    estimates = [
        EstimatedCharge(date(2026, 6, 1), Zone.SINGLE, ChargeBasis.AVERAGE, 100, 700),
        EstimatedCharge(date(2026, 7, 1), Zone.SINGLE, ChargeBasis.AVERAGE, 100, 770),
    ]
    draft = compose(
        reading_period=date(2026, 6, 1), real_volumes={Zone.SINGLE: 130}, unreconciled=estimates,
        history_months=3, history_volumes={Zone.SINGLE: 330},
    )  # fmt: skip
    assert [(line.kind, line.basis, line.volume_kwh, line.amount) for line in draft.lines] == [
        (ChargeKind.RECALCULATION, ChargeBasis.AVERAGE, -100, -70_000),  # June's estimate taken back
        (ChargeKind.RECALCULATION, ChargeBasis.READINGS, 130, 91_000),  # June's real volume at June's rate
        (ChargeKind.CONSUMPTION, ChargeBasis.AVERAGE, 110, 84_700),  # August: July is the one estimate in a row
    ]


def test_fourth_period_without_readings_is_billed_by_the_norm_at_the_single_rate() -> None:
    estimates = [EstimatedCharge(date(2026, month, 1), Zone.DAY, ChargeBasis.AVERAGE, 100, 893) for month in (5, 6, 7)]
    draft = compose(zone_count=2, unreconciled=estimates, history_months=6, history_volumes={Zone.DAY: 600})
    assert [(line.zone, line.basis, line.volume_kwh, line.rate_kopecks) for line in draft.lines] == [
        (Zone.SINGLE, ChargeBasis.NORM, 166, 770)
    ]
    third = compose(zone_count=2, unreconciled=estimates[1:], history_months=6, history_volumes={Zone.DAY: 600})
    assert [(line.zone, line.basis, line.volume_kwh) for line in third.lines] == [(Zone.DAY, ChargeBasis.AVERAGE, 100)]


def test_statement_balance_with_payments_and_penalty() -> None:
    # 100 000 kopecks of the March 2026 bill (due 2026-04-15) unpaid: August 2026 is its days 108…138, all 1/130.
    draft = compose(
        reading_period=date(2026, 8, 1), real_volumes={Zone.SINGLE: 100}, opening_balance=100_000,
        obligations=[Obligation(date(2026, 3, 1), date(2026, 4, 15), 100_000)],
        payments=[PaymentIn(day=date(2026, 8, 10), electricity=40_000, penalty=1_000)],
    )  # fmt: skip
    # paid part 40 000 × 9.5 % (16 % capped) / 130 × 10 days = 292.31 → 292;
    # unpaid 60 000 × 9.5 % / 130 × 31 days = 1 359.23 → 1 359
    assert draft.penalty == 292 + 1_359
    assert draft.paid == 41_000
    assert draft.closing_balance == 100_000 + 77_000 + 1_651 - 41_000

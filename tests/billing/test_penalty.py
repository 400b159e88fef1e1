"""Penalty at the law's boundaries in kopecks computed by hand (ЖК РФ ст. 155 ч. 14, ФЗ-35 ст. 37, ПП РФ № 474)."""

from __future__ import annotations

from datetime import date

from services.billing.allocation import Obligation
from services.billing.key_rates import KeyRateTable
from services.billing.penalty import PayerKind, accrue_penalty, penalty_intervals

MILLION = 1_000_000  # 10 000 ₽ overdue
DUE = date(2024, 3, 10)  # day 30 after it: 2024-04-09; day 31: 04-10; day 90: 06-08; day 91: 06-09


def household(start: date, end: date, rate_bp: int = 1600, due: date = DUE) -> list[tuple[int, int, bool, int]]:
    intervals = penalty_intervals(
        base=MILLION, due_on=due, start=start, end=end, key_rate_bp=rate_bp, payer=PayerKind.HOUSEHOLD
    )
    return [(item.days, item.share, item.capped, item.amount) for item in intervals]


def test_nothing_up_to_the_30th_day_after_the_due_date() -> None:
    assert household(date(2024, 3, 11), date(2024, 4, 9)) == []


def test_the_31st_day_accrues_one_three_hundredth() -> None:
    # 1 000 000 × 16 % / 300 × 1 day = 533.33 → 533 kopecks
    assert household(date(2024, 3, 11), date(2024, 4, 10)) == [(1, 300, False, 533)]


def test_days_31_to_90_at_one_three_hundredth_then_the_91st_at_one_hundred_thirtieth() -> None:
    # 60 days × 1 000 000 × 0.16 / 300 = 32 000.00; the 91st day: 1 000 000 × 0.16 / 130 = 1 230.77 → 1 231
    assert household(date(2024, 3, 11), date(2024, 6, 8)) == [(60, 300, False, 32_000)]
    assert household(date(2024, 3, 11), date(2024, 6, 9)) == [(60, 300, False, 32_000), (1, 130, False, 1_231)]
    assert household(date(2024, 6, 9), date(2024, 6, 9)) == [(1, 130, False, 1_231)]


def test_moratorium_first_day_is_capped_at_9_5_percent_and_the_day_before_is_not() -> None:
    old_due = date(2024, 6, 10)  # long past its 91st day by 2024-12-31
    # 21 %: 1 000 000 × 0.21 / 130 = 1 615.38 → 1 615; capped at 9.5 %: 1 000 000 × 0.095 / 130 = 730.77 → 731
    assert household(date(2024, 12, 31), date(2024, 12, 31), 2100, old_due) == [(1, 130, False, 1_615)]
    assert household(date(2025, 1, 1), date(2025, 1, 1), 2100, old_due) == [(1, 130, True, 731)]
    assert household(date(2024, 12, 31), date(2025, 1, 1), 2100, old_due) == [
        (1, 130, False, 1_615),
        (1, 130, True, 731),
    ]


def test_moratorium_last_day_is_capped_and_the_day_after_is_not() -> None:
    old_due = date(2026, 6, 15)
    assert household(date(2026, 12, 31), date(2026, 12, 31), 2100, old_due) == [(1, 130, True, 731)]
    assert household(date(2027, 1, 1), date(2027, 1, 1), 2100, old_due) == [(1, 130, False, 1_615)]


def test_a_key_rate_below_the_cap_is_not_capped() -> None:
    # 7.5 %: 1 000 000 × 0.075 / 130 = 576.92 → 577
    assert household(date(2025, 6, 1), date(2025, 6, 1), 750, date(2025, 1, 10)) == [(1, 130, False, 577)]


def test_organisation_accrues_one_hundred_thirtieth_from_the_day_after_the_due_date() -> None:
    due = date(2024, 3, 18)
    intervals = penalty_intervals(
        base=MILLION, due_on=due, start=date(2024, 3, 18), end=date(2024, 3, 19), key_rate_bp=1600,
        payer=PayerKind.ORGANISATION,
    )  # fmt: skip
    assert [(item.start, item.days, item.share, item.amount) for item in intervals] == [
        (date(2024, 3, 19), 1, 130, 1_231)
    ]


RATES = KeyRateTable.of([(date(2024, 1, 1), 1600), (date(2024, 7, 29), 1800)])


def test_key_rate_change_mid_debt_the_payment_day_rate_applies_to_the_whole_paid_part() -> None:
    obligation = Obligation(period=date(2024, 2, 1), due_on=DUE, amount=MILLION)  # July: days 113…143, all 1/130
    after_change = accrue_penalty(
        obligations=[obligation], payments=[(date(2024, 7, 30), 400_000)], start=date(2024, 7, 1),
        end=date(2024, 7, 31), key_rates=RATES, payer=PayerKind.HOUSEHOLD,
    )  # fmt: skip
    # paid part: 400 000 × 0.18 / 130 × 30 days = 16 615.38 → 16 615 (18 %, the payment day's rate, for all 30 days);
    # unpaid part: 600 000 × 0.18 / 130 × 31 days = 25 753.85 → 25 754 (the calculation day's rate)
    assert [(line.base, line.paid_on, line.amount) for line in after_change.lines] == [
        (400_000, date(2024, 7, 30), 16_615),
        (600_000, None, 25_754),
    ]
    assert after_change.amount == 42_369
    before_change = accrue_penalty(
        obligations=[obligation], payments=[(date(2024, 7, 26), 400_000)], start=date(2024, 7, 1),
        end=date(2024, 7, 31), key_rates=RATES, payer=PayerKind.HOUSEHOLD,
    )  # fmt: skip
    # paid on the 26th at 16 %: 400 000 × 0.16 / 130 × 26 = 12 800.00
    assert [line.amount for line in before_change.lines] == [12_800, 25_754]
    assert before_change.amount == 38_554


def test_explanation_sums_to_the_penalty() -> None:
    accrual = accrue_penalty(
        obligations=[
            Obligation(period=date(2024, 2, 1), due_on=DUE, amount=123_457),
            Obligation(period=date(2024, 4, 1), due_on=date(2024, 5, 10), amount=98_765),
        ],
        payments=[(date(2024, 6, 20), 50_000)], start=date(2024, 6, 1), end=date(2024, 6, 30),
        key_rates=RATES, payer=PayerKind.HOUSEHOLD,
    )  # fmt: skip
    assert accrual.amount == sum(i.amount for line in accrual.lines for i in line.intervals) > 0
    # The older one is paid first (ГК РФ ст. 319.1 п. 3) and its intervals split at its 91st day (2024-06-09).
    first = accrual.lines[0]
    assert (first.period, first.base, first.paid_on) == (date(2024, 2, 1), 50_000, date(2024, 6, 20))
    assert [(i.start, i.end, i.share) for i in first.intervals] == [
        (date(2024, 6, 1), date(2024, 6, 8), 300),
        (date(2024, 6, 9), date(2024, 6, 20), 130),
    ]
    # The newer one's 31st day is 2024-06-10.
    newer = accrual.lines[-1]
    assert (newer.period, newer.intervals[0].start) == (date(2024, 4, 1), date(2024, 6, 10))

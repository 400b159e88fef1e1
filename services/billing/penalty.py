"""Penalty (пени) on overdue electricity bills, explained interval by interval.

Households, ЖК РФ ст. 155 ч. 14: nothing for the first 30 days after the due date; 1/300 of the key rate a day from
the 31st to the 90th day; 1/130 from the 91st day; "по день фактической оплаты", the payment day included.
Organisations, ФЗ от 26.03.2003 № 35-ФЗ «Об электроэнергетике» ст. 37 п. 2 (абз. 8): 1/130 of the key rate a day from
the day after the due date to the payment day included.

Which day's rate: both laws take the rate "действующей на день фактической оплаты": a part paid on day X accrues at
the rate in force on X; a part still unpaid when the penalty is calculated accrues at the rate in force on the
calculation day (Постановление Пленума ВС РФ от 27.06.2017 № 22 п. 39: unpaid — the rate on the day of the decision).

Moratorium: ПП РФ от 26.03.2022 № 474 п. 1 as amended by ПП РФ от 18.03.2025 № 329 (the 2025–2026 one DESIGN.md
names): from 2025-01-01 until 2027-01-01 penalty under ЖК РФ ст. 155 and ФЗ-35 ст. 37 accrues at the smaller of the
key rate of 27.02.2022 (9.5 %) and the rate that would otherwise apply. We cap each day of that span, so a debt
straddling 2027-01-01 accrues capped before it and uncapped from it. (ПП № 474 of 2022 itself capped 2022–2024 the
same way; the table of rates and this cap are all the engine needs for those years too.)

Rounding: each interval's amount is rounded to the kopeck (half up); the penalty is their sum, so an explanation
always adds up to the penalty billed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.billing.allocation import Obligation, allocate_payment
from services.billing.key_rates import KeyRateTable

HOUSEHOLD_FREE_DAYS = 30  # ЖК РФ ст. 155 ч. 14: penalty starts on the 31st day after the due date
HOUSEHOLD_FIRST_SHARE = 300  # 1/300 of the key rate from the 31st to the 90th day
HOUSEHOLD_SECOND_SHARE_FROM_DAY = 91
HOUSEHOLD_SECOND_SHARE = 130  # 1/130 from the 91st day
ORGANISATION_SHARE = 130  # ФЗ-35 ст. 37 п. 2: 1/130 from the day after the due date
MORATORIUM_FROM = date(2025, 1, 1)  # ПП РФ № 474 п. 1 as amended by ПП РФ № 329 of 18.03.2025
MORATORIUM_UNTIL = date(2027, 1, 1)  # exclusive: 2026-12-31 is the last capped day
MORATORIUM_CAP_BP = 950  # the key rate of 27.02.2022, 9.5 %


class PayerKind(StrEnum):
    HOUSEHOLD = "HOUSEHOLD"  # ЖК РФ ст. 155 ч. 14
    ORGANISATION = "ORGANISATION"  # ФЗ-35 ст. 37 п. 2


@dataclass(frozen=True, slots=True)
class PenaltyInterval:
    """Days `start` … `end` (both included) of one overdue amount at one share and one rate."""

    start: date
    end: date
    days: int
    share: int  # the denominator: 300 or 130
    key_rate_bp: int  # the key rate the law points to (the payment day's or the calculation day's)
    applied_rate_bp: int  # after the moratorium cap
    capped: bool
    base: int  # the overdue kopecks
    amount: int  # kopecks


@dataclass(frozen=True, slots=True)
class PenaltyLine:
    """One overdue amount of one period and the penalty it accrued."""

    period: date
    due_on: date
    base: int
    paid_on: date | None  # the day this amount was paid, or None: still unpaid at the calculation day
    intervals: tuple[PenaltyInterval, ...]

    @property
    def amount(self) -> int:
        return sum(interval.amount for interval in self.intervals)


def _round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def _bands(due_on: date, payer: PayerKind) -> list[tuple[date, date | None, int]]:
    """(first day, last day or None, share) of the penalty bands of an amount due on `due_on`."""
    if payer is PayerKind.ORGANISATION:
        return [(due_on + timedelta(days=1), None, ORGANISATION_SHARE)]
    second = due_on + timedelta(days=HOUSEHOLD_SECOND_SHARE_FROM_DAY)
    return [
        (due_on + timedelta(days=HOUSEHOLD_FREE_DAYS + 1), second - timedelta(days=1), HOUSEHOLD_FIRST_SHARE),
        (second, None, HOUSEHOLD_SECOND_SHARE),
    ]


def penalty_intervals(
    *, base: int, due_on: date, start: date, end: date, key_rate_bp: int, payer: PayerKind
) -> tuple[PenaltyInterval, ...]:
    """The penalty on `base` kopecks due on `due_on`, accrued on days `start` … `end` (both included)."""
    if base <= 0 or end < start:
        return ()
    cuts = [MORATORIUM_FROM, MORATORIUM_UNTIL]
    result: list[PenaltyInterval] = []
    for band_start, band_end, share in _bands(due_on, payer):
        first = max(start, band_start)
        last = end if band_end is None else min(end, band_end)
        pieces = [first]
        pieces += [cut for cut in cuts if first < cut <= last]
        for index, piece_start in enumerate(pieces):
            piece_end = pieces[index + 1] - timedelta(days=1) if index + 1 < len(pieces) else last
            if piece_end < piece_start:
                continue
            days = (piece_end - piece_start).days + 1
            capped = MORATORIUM_FROM <= piece_start < MORATORIUM_UNTIL and key_rate_bp > MORATORIUM_CAP_BP
            applied = min(key_rate_bp, MORATORIUM_CAP_BP) if capped else key_rate_bp
            amount = _round_half_up(base * applied * days, 10_000 * share)
            result.append(
                PenaltyInterval(piece_start, piece_end, days, share, key_rate_bp, applied, capped, base, amount)
            )
    return tuple(result)


@dataclass(frozen=True, slots=True)
class PenaltyAccrual:
    lines: tuple[PenaltyLine, ...]
    remaining: tuple[Obligation, ...]  # unpaid at the end of the span, oldest first
    advance: int  # what the payments left over after every obligation

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)


def accrue_penalty(
    *,
    obligations: Sequence[Obligation],
    payments: Sequence[tuple[date, int]],
    start: date,
    end: date,
    key_rates: KeyRateTable,
    payer: PayerKind,
) -> PenaltyAccrual:
    """The penalty accrued on days `start` … `end` on `obligations` unpaid at `start`, as `payments` (day, kopecks of
    electricity) settle them oldest first (ГК РФ ст. 319.1 п. 3). `end` is the calculation day."""
    lines: list[PenaltyLine] = []
    open_items = list(obligations)
    advance = 0
    for paid_on, amount in sorted(payments):
        if not start <= paid_on <= end:
            raise ValueError(f"payment of {paid_on} outside {start} … {end}")
        allocation = allocate_payment(obligations=open_items, amount=amount)
        rate = key_rates.rate_on(paid_on)
        for obligation, applied in allocation.settled:
            intervals = penalty_intervals(
                base=applied, due_on=obligation.due_on, start=start, end=paid_on, key_rate_bp=rate, payer=payer
            )
            if intervals:
                lines.append(PenaltyLine(obligation.period, obligation.due_on, applied, paid_on, intervals))
        open_items = list(allocation.remaining)
        advance += allocation.advance
    rate = key_rates.rate_on(end)
    for obligation in open_items:
        intervals = penalty_intervals(
            base=obligation.amount, due_on=obligation.due_on, start=start, end=end, key_rate_bp=rate, payer=payer
        )
        if intervals:
            lines.append(PenaltyLine(obligation.period, obligation.due_on, obligation.amount, None, intervals))
    return PenaltyAccrual(lines=tuple(lines), remaining=tuple(open_items), advance=advance)

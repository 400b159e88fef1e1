"""A statement's penalty explained again, interval by interval, from the rows the period close read.

The close (`services/billing/close.py`) and the explanation share `opening_obligations`, and the explanation calls the
same `accrue_penalty` over the same inputs (the owner's earlier statements and its succeeded payments), so the
intervals it shows add up to the penalty billed, to the kopeck.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from services.billing.allocation import Obligation, unpaid_obligations
from services.billing.calendar import month_end, month_start
from services.billing.key_rates import KeyRateTable
from services.billing.penalty import PayerKind, PenaltyAccrual, accrue_penalty
from services.billing.schedule import advances, organisation_schedule

HISTORY_STATEMENTS = 24  # the earlier statements the close reads to find what a debt is made of


@dataclass(frozen=True, slots=True)
class BilledMonth:
    """One earlier statement of an account or delivery point, as the penalty needs it."""

    period: date
    due_on: date
    total: int  # charged + recalculated + vat: the electricity billed for the month
    closing_balance: int
    penalty: int


@dataclass(frozen=True, slots=True)
class PaidPart:
    """A succeeded payment: its local day and its split."""

    day: date
    electricity: int
    penalty: int


def _organisation_obligations(*, debt: int, periods: list[date], totals: list[int], period: date) -> list[Obligation]:
    """A delivery point's unpaid obligations at the period's start, its own advances included (ПП РФ № 442 п. 82).

    `periods` and `totals` are its earlier statements, newest first; each month's advances were reckoned on the
    month before it (п. 82 абз. 5).
    """
    scheduled: list[Obligation] = []
    for index, (month, total) in enumerate(zip(periods, totals, strict=True)):
        base = totals[index + 1] if index + 1 < len(totals) else total
        scheduled += organisation_schedule(period=month, advance_base=base, total=total)
    owed = unpaid_obligations(debt=debt, charges=scheduled)
    return owed + advances(period=period, advance_base=totals[0] if totals else 0)


def opening_obligations(
    *,
    payer: PayerKind,
    period: date,
    opening: int,
    penalty_billed: int,
    penalty_paid: int,
    periods: list[date],
    dues: list[date],
    totals: list[int],
) -> list[Obligation]:
    """The electricity unpaid at the start of `period`, oldest first: the debt without its unpaid penalty, made of the
    newest earlier months (ГК РФ ст. 319.1 п. 3: payments settled the oldest first). `periods`, `dues`, `totals`: the
    earlier statements, newest first (no statement: empty lists, opening 0)."""
    debt = opening - max(0, penalty_billed - penalty_paid) if periods else 0
    if payer is PayerKind.ORGANISATION:
        return _organisation_obligations(debt=debt, periods=periods, totals=totals, period=period)
    if not periods:
        return []
    return unpaid_obligations(
        debt=debt, charges=[Obligation(p, d, a) for p, d, a in zip(periods, dues, totals, strict=True)]
    )


def explain_penalty(
    *,
    payer: PayerKind,
    period: date,
    earlier: Sequence[BilledMonth],
    payments: Sequence[PaidPart],
    key_rates: KeyRateTable,
) -> PenaltyAccrual:
    """The penalty of the statement of `period`: `earlier` are the owner's statements before it (any order),
    `payments` its succeeded payments (any period: those after the period are ignored)."""
    period = month_start(period)
    newest_first = sorted((month for month in earlier if month.period < period), key=lambda m: m.period, reverse=True)
    recent = newest_first[:HISTORY_STATEMENTS]
    end = month_end(period)
    obligations = opening_obligations(
        payer=payer,
        period=period,
        opening=newest_first[0].closing_balance if newest_first else 0,
        penalty_billed=sum(month.penalty for month in newest_first),
        penalty_paid=sum(part.penalty for part in payments if part.day < period),
        periods=[month.period for month in recent],
        dues=[month.due_on for month in recent],
        totals=[month.total for month in recent],
    )
    return accrue_penalty(
        obligations=obligations,
        payments=[
            (part.day, part.electricity) for part in payments if period <= part.day <= end and part.electricity > 0
        ],
        start=period,
        end=end,
        key_rates=key_rates,
        payer=payer,
    )

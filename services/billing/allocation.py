"""Which unpaid periods a payment settles (ГК РФ ст. 319.1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date


@dataclass(frozen=True, slots=True)
class Obligation:
    """What is still unpaid for one period's electricity, in kopecks, and when it fell due."""

    period: date
    due_on: date
    amount: int


@dataclass(frozen=True, slots=True)
class Allocation:
    settled: tuple[tuple[Obligation, int], ...]  # (the obligation as it was, kopecks of the payment applied to it)
    remaining: tuple[Obligation, ...]  # still unpaid, oldest first
    advance: int  # what no obligation took: an advance toward the next bills


def allocate_payment(*, obligations: Sequence[Obligation], amount: int, period: date | None = None) -> Allocation:
    """Apply `amount` kopecks to `obligations`.

    ГК РФ ст. 319.1 п. 1: a debtor who names the period settles that period first; п. 3: otherwise (and for what
    exceeds the named period) the obligation whose due date came first is settled first.
    """
    if amount < 0:
        raise ValueError("a payment is not negative")
    ordered = sorted(obligations, key=lambda item: (item.due_on, item.period))
    if period is not None:
        ordered.sort(key=lambda item: item.period != period)  # stable: the named period first, then oldest first
    settled: list[tuple[Obligation, int]] = []
    remaining: list[Obligation] = []
    left = amount
    for obligation in ordered:
        applied = min(left, obligation.amount)
        left -= applied
        if applied:
            settled.append((obligation, applied))
        if applied < obligation.amount:
            remaining.append(replace(obligation, amount=obligation.amount - applied))
    remaining.sort(key=lambda item: (item.due_on, item.period))
    return Allocation(settled=tuple(settled), remaining=tuple(remaining), advance=left)


def unpaid_obligations(*, debt: int, charges: Sequence[Obligation]) -> list[Obligation]:
    """The obligations an electricity `debt` is made of, when every payment settled the oldest first (ст. 319.1 п. 3).

    Oldest-first settlement leaves the newest charges unpaid, so the debt is the newest `charges` (any order) back
    to where it is used up; a debt older than every charge given is owed since the oldest of them.
    """
    result: list[Obligation] = []
    left = debt
    ordered = sorted(charges, key=lambda item: (item.due_on, item.period), reverse=True)
    for charge in ordered:
        if left <= 0:
            break
        if charge.amount <= 0:
            continue
        take = min(left, charge.amount)
        result.append(replace(charge, amount=take))
        left -= take
    if left > 0 and ordered:
        oldest = ordered[-1]
        if result and result[-1].period == oldest.period:
            result[-1] = replace(result[-1], amount=result[-1].amount + left)
        else:
            result.append(replace(oldest, amount=left))
    result.reverse()
    return result

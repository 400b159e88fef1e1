"""Organisations' payment schedule on the retail market (ПП РФ от 04.05.2012 № 442 п. 82).

Unless the contract says otherwise: 30 % of the month's cost by the 10th of that month, 40 % by the 25th, and the
rest of the actual cost (less what those advances were) by the 18th of the next month. With no contract volume
agreed, the advances are reckoned on the previous month's cost (п. 82 абз. 5). An advance above the month's actual
cost is credited to the next month (п. 82 абз. 8): the obligations of a month never exceed its cost.
"""

from __future__ import annotations

from datetime import date

from services.billing.allocation import Obligation
from services.billing.calendar import add_months, month_start

FIRST_ADVANCE_PERCENT, FIRST_ADVANCE_DAY = 30, 10
SECOND_ADVANCE_PERCENT, SECOND_ADVANCE_DAY = 40, 25
FINAL_PAYMENT_DAY = 18  # of the month after the period


def final_payment_date(*, period: date) -> date:
    return add_months(month_start(period), 1).replace(day=FINAL_PAYMENT_DAY)


def _percent(amount: int, percent: int) -> int:
    return (2 * amount * percent + 100) // 200


def advances(*, period: date, advance_base: int) -> list[Obligation]:
    """The two advances of `period` owed before its statement exists (on the previous month's cost)."""
    period = month_start(period)
    base = max(advance_base, 0)
    return [
        Obligation(period, period.replace(day=FIRST_ADVANCE_DAY), _percent(base, FIRST_ADVANCE_PERCENT)),
        Obligation(period, period.replace(day=SECOND_ADVANCE_DAY), _percent(base, SECOND_ADVANCE_PERCENT)),
    ]


def organisation_schedule(*, period: date, advance_base: int, total: int) -> list[Obligation]:
    """The obligations of one delivery point's month: the advances and the final payment, summing to `total` (the
    month's cost with VAT); advances above the actual cost shrink, the later one first."""
    first, second = advances(period=period, advance_base=advance_base)
    cost = max(total, 0)
    second_amount = min(second.amount, max(cost - first.amount, 0))
    first_amount = min(first.amount, cost)
    final = cost - first_amount - second_amount
    items = [
        Obligation(first.period, first.due_on, first_amount),
        Obligation(second.period, second.due_on, second_amount),
        Obligation(month_start(period), final_payment_date(period=period), final),
    ]
    return [item for item in items if item.amount > 0]

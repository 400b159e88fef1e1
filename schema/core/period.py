"""The period filter of the cabinet's tabs (the «08/2023 - 11/2023» picker)."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.core.errors import BadUserInputError
from services.cabinet.periods import MonthRange
from services.errors import ErrorCode

EARLIEST_IMPOSSIBLE_YEAR = 9999


@strawberry.input(
    description="Billing months from the month of `from` through the month of `to`, both included "
    '(the days inside the months do not matter): {from: "2023-08-01", to: "2023-11-01"} is four months. '
    "Payments are selected by their local date within those months."
)
class PeriodFilter:
    from_: date = strawberry.field(name="from")
    to: date

    def months(self) -> MonthRange:
        if self.to.year >= EARLIEST_IMPOSSIBLE_YEAR or self.from_.year >= EARLIEST_IMPOSSIBLE_YEAR:
            # The month after December 9999 does not exist in Python's calendar.
            raise BadUserInputError("Укажите период не позже 9998 года", ErrorCode.INVALID_INPUT)
        months = MonthRange.covering(self.from_, self.to)
        if months.is_empty:
            raise BadUserInputError("Начало периода должно быть не позже его конца", ErrorCode.INVALID_INPUT)
        return months


def month_range(period: PeriodFilter | None) -> MonthRange | None:
    return period.months() if period is not None else None

"""Billing months: the cabinet's period filter selects whole months, both ends included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from services.platform.clock import LOCAL_TZ


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class MonthRange:
    """Billing months `first` … `last` (first days of months), both included: 08/2023 - 11/2023 is four months."""

    first: date
    last: date

    @classmethod
    def covering(cls, start: date, end: date) -> MonthRange:
        """The months of `start` through the month of `end`; the days inside the months do not matter."""
        return cls(month_start(start), month_start(end))

    @property
    def is_empty(self) -> bool:
        return self.first > self.last

    @property
    def starts_at(self) -> datetime:
        """The first instant of the range in local time, for timestamped rows (payments)."""
        return datetime.combine(self.first, time(), LOCAL_TZ)

    @property
    def ends_before(self) -> datetime:
        """The first instant after the range in local time (exclusive)."""
        return datetime.combine(add_months(self.last, 1), time(), LOCAL_TZ)

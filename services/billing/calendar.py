"""Billing months and the dates of their payment documents.

A period is a calendar month in local (Moscow) time, named by its first day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from services.platform.clock import LOCAL_TZ

# ЖК РФ ст. 155 ч. 2 п. 1 (as amended by ФЗ от 24.06.2025 № 177-ФЗ): the payment document is presented no later
# than the 5th of the month after the period.
ISSUE_DAY = 5
# ЖК РФ ст. 155 ч. 1: payment is due by the 10th of the month after the period; ФЗ № 177-ФЗ moved it to the 15th from
# 2026-03-01. The amendment governs the deadlines that fall after it takes effect, so the February 2026 bill (payable
# in March 2026) is the first one due on the 15th; January 2026 and earlier stay due on the 10th.
DUE_ON_15TH_FROM = date(2026, 3, 1)
OLD_DUE_DAY = 10
NEW_DUE_DAY = 15


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, months: int) -> date:
    """The first day of the month `months` after `month`'s."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(period: date) -> date:
    """The last day of the period."""
    return add_months(period, 1) - timedelta(days=1)


def issue_date(*, period: date) -> date:
    return add_months(month_start(period), 1).replace(day=ISSUE_DAY)


def due_date(*, period: date) -> date:
    """The last day to pay the period's document without being late (ЖК РФ ст. 155 ч. 1)."""
    payable_in = add_months(month_start(period), 1)
    return payable_in.replace(day=NEW_DUE_DAY if payable_in >= DUE_ON_15TH_FROM else OLD_DUE_DAY)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL_TZ)


def period_bounds(*, period: date) -> tuple[datetime, datetime]:
    """The period's first instant and the first instant after it, local time."""
    return local_midnight(month_start(period)), local_midnight(add_months(month_start(period), 1))


def closable_period(*, now: datetime) -> date:
    """The latest period that has ended by `now` (local time): the one the close on the 1st bills."""
    return add_months(month_start(now.astimezone(LOCAL_TZ).date()), -1)


def parse_period(text: str) -> date:
    """`YYYY-MM` → the period's first day; ValueError otherwise."""
    year, _, month = text.partition("-")
    if len(year) != 4 or len(month) != 2 or not (year.isdigit() and month.isdigit()):
        raise ValueError(f"a period is YYYY-MM, got {text!r}")
    return date(int(year), int(month), 1)

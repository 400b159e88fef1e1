"""The calendar the generated history follows, all of it derived from one `now`.

Billing runs in local (Arkhangelsk) time: a period is a calendar month; its document's issue and due dates are the
billing engine's (services/billing/calendar.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from services.billing import calendar as billing_calendar
from services.platform.clock import LOCAL_TZ

HISTORY_MONTHS = 24
ISSUE_DAY = billing_calendar.ISSUE_DAY
# Readings are taken between these days of the month; a month counts as settled once the last of them has passed.
LAST_READING_DAY = 25
ISU_PROFILE_MONTHS = 13
TARIFF_YEARS = 4  # the current tariff and the three before it, each from 1 July


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first_of_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last_day = (first_of_next - timedelta(days=1)).day
    return date(year, month + 1, min(day.day, last_day))


def month_start(day: date) -> date:
    return day.replace(day=1)


def issue_date(period: date) -> date:
    return billing_calendar.issue_date(period=period)


def due_date(period: date) -> date:
    return billing_calendar.due_date(period=period)


def local_datetime(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


@dataclass(frozen=True, slots=True)
class DemoCalendar:
    """Which months have readings, statements and tariffs at a given moment."""

    now: datetime
    today: date  # local
    billed: tuple[date, ...]  # periods with an issued statement, oldest first
    reading_periods: tuple[date, ...]  # the month before the first billed one, the billed ones, settled later ones
    payment_months: tuple[date, ...]  # billed months and the months after them up to today's
    tariff_starts: tuple[date, ...]  # 1 July of each tariff year, oldest first
    profile_start: date  # first day of the ИСУ hourly profile (local)

    @classmethod
    def at(cls, now: datetime, *, months: int = HISTORY_MONTHS) -> DemoCalendar:
        if now.tzinfo is None:
            raise ValueError("the calendar needs an aware datetime")
        today = now.astimezone(LOCAL_TZ).date()
        current = month_start(today)
        last_billed = add_months(current, -1 if today.day >= ISSUE_DAY else -2)
        billed = tuple(add_months(last_billed, offset) for offset in range(1 - months, 1))
        later: list[date] = []
        month = add_months(last_billed, 1)
        while month <= current:
            later.append(month)
            month = add_months(month, 1)
        settled_later = tuple(m for m in later if m.replace(day=LAST_READING_DAY) < today)
        last_july = date(today.year if today >= date(today.year, 7, 1) else today.year - 1, 7, 1)
        return cls(
            now=now,
            today=today,
            billed=billed,
            reading_periods=(add_months(billed[0], -1), *billed, *settled_later),
            payment_months=(*billed, *later),
            tariff_starts=tuple(date(last_july.year - back, 7, 1) for back in range(TARIFF_YEARS - 1, -1, -1)),
            profile_start=add_months(current, 1 - ISU_PROFILE_MONTHS),
        )

    @property
    def last_receipt_issued_on(self) -> date:
        return issue_date(self.billed[-1])

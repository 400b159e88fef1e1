"""The submission window: which billing period a reading sent now counts toward.

Days `readings_window_start_day` … `readings_window_end_day` (both included, local time) are the window. A reading
sent before the window (say on the 2nd) still belongs to this month's bill, which is not closed yet; one sent after
the window counts toward the next month. Outside the window the answer says which month the reading went to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from services.cabinet.periods import add_months, month_start
from services.platform.clock import LOCAL_TZ
from services.platform.settings import Settings

MONTHS = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PeriodChoice:
    period: date  # the first day of the billing month
    in_window: bool
    window_start_day: int
    window_end_day: int

    @property
    def notice(self) -> str | None:
        """For the customer, when the reading counts toward the next month."""
        if self.in_window:
            return None
        return (
            f"Показания принимаются с {self.window_start_day} по {self.window_end_day} число месяца; "
            f"переданные сейчас будут учтены в расчёте за {MONTHS[self.period.month - 1]} {self.period.year} года"
        )


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def choice_made(*, period: date, submitted_at: datetime, settings: Settings) -> PeriodChoice:
    """The choice `choose_period` made for a reading sent at `submitted_at` that counts toward `period`."""
    day = local_date(submitted_at).day
    return PeriodChoice(
        period=period,
        in_window=settings.readings_window_start_day <= day <= settings.readings_window_end_day,
        window_start_day=settings.readings_window_start_day,
        window_end_day=settings.readings_window_end_day,
    )


def choose_period(now: datetime, settings: Settings) -> PeriodChoice:
    today = local_date(now)
    start, end = settings.readings_window_start_day, settings.readings_window_end_day
    in_window = start <= today.day <= end
    period = month_start(today) if today.day <= end else add_months(month_start(today), 1)
    return PeriodChoice(period=period, in_window=in_window, window_start_day=start, window_end_day=end)

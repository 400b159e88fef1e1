"""Aggregates for analysts, computed in SQL: one statement each, typed rows out, no personal data in them.

Every aggregate reads the rollups (services/analytics/rollups.py), so it is as fresh as their last refresh.

Money in kopecks, energy in kWh (charges) or Wh (smart-meter hours). Months are local (Europe/Moscow) months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from models.enums import AppealStatus, AppealTopic, PaymentMethod, ReadingSource, TariffZone
from services.analytics.filters import LOCAL_TZ_NAME, Filters, fetch
from services.platform.clock import LOCAL_TZ, Clock
from services.platform.database import Database

TZ = f"'{LOCAL_TZ_NAME}'"


def _instant(month: date) -> datetime:
    """Local midnight of a month's first day, as an instant."""
    return datetime.combine(month, time(), tzinfo=LOCAL_TZ)


@dataclass(frozen=True, slots=True)
class ConsumptionRow:
    period: date
    zone: TariffZone
    accounts: int
    volume_kwh: int


async def consumption_by_month_and_zone(*, db: Database, filters: Filters) -> list[ConsumptionRow]:
    """Billed consumption (charges of kind CONSUMPTION) per month and tariff zone."""
    conditions, params = filters.account_conditions("r")
    rows = await fetch(
        db,
        f"""
        SELECT period, zone, sum(accounts) AS accounts, sum(volume_kwh) AS volume_kwh
        FROM analytics_consumption AS r
        WHERE period >= :period_from AND period < :period_to AND {conditions}
        GROUP BY period, zone
        ORDER BY period, zone
        """,
        {**filters.period_params(), **params},
    )
    return [ConsumptionRow(row.period, TariffZone(row.zone), int(row.accounts), int(row.volume_kwh)) for row in rows]


@dataclass(frozen=True, slots=True)
class ChargesRow:
    period: date
    accounts: int
    charged_kopecks: int  # consumption charges of the month
    recalculated_kopecks: int  # recalculations billed in the month (may be negative)


async def charges_by_month(*, db: Database, filters: Filters) -> list[ChargesRow]:
    conditions, params = filters.account_conditions("r")
    rows = await fetch(
        db,
        f"""
        SELECT period, sum(accounts) AS accounts, sum(charged) AS charged, sum(recalculated) AS recalculated
        FROM analytics_charges AS r
        WHERE period >= :period_from AND period < :period_to AND {conditions}
        GROUP BY period
        ORDER BY period
        """,
        {**filters.period_params(), **params},
    )
    return [ChargesRow(row.period, int(row.accounts), int(row.charged), int(row.recalculated)) for row in rows]


@dataclass(frozen=True, slots=True)
class PaymentsRow:
    period: date  # the local month the payment succeeded in
    method: PaymentMethod
    payments: int
    amount_kopecks: int


async def payments_by_month_and_method(*, db: Database, filters: Filters) -> list[PaymentsRow]:
    """Succeeded payments per local month of payment and method."""
    conditions, params = filters.account_conditions("r")
    rows = await fetch(
        db,
        f"""
        SELECT period, method, sum(payments) AS payments, sum(amount) AS amount
        FROM analytics_payments AS r
        WHERE period >= :period_from AND period < :period_to AND {conditions}
        GROUP BY period, method
        ORDER BY period, method
        """,
        {**filters.period_params(), **params},
    )
    return [PaymentsRow(row.period, PaymentMethod(row.method), int(row.payments), int(row.amount)) for row in rows]


class DebtAge(StrEnum):
    """Days past the due date, as the penalty counts them (ЖК РФ ст. 155 ч. 14: none for 30 days, 1/300 from the
    31st to the 90th day, 1/130 from the 91st)."""

    NOT_YET_DUE = "NOT_YET_DUE"
    DAYS_0_30 = "DAYS_0_30"
    DAYS_31_90 = "DAYS_31_90"
    DAYS_91_PLUS = "DAYS_91_PLUS"


@dataclass(frozen=True, slots=True)
class DebtRow:
    locality: str
    age: DebtAge
    accounts: int
    debt_kopecks: int


async def debt_by_age_and_locality(*, db: Database, clock: Clock, filters: Filters) -> list[DebtRow]:
    """Electricity debt, aged: payments settle the oldest statements first, so the debt is the newest statements'
    charges, each part as old as its statement's due date (today by the clock). A debt larger than every statement
    billed is the oldest statement's. Penalty and state duty are not aged; the period filter does not apply."""
    conditions, params = filters.account_conditions("r")
    today = clock.now().astimezone(LOCAL_TZ).date()
    rows = await fetch(
        db,
        f"""
        SELECT locality,
            CASE WHEN :today - due_on <= 0 THEN 'NOT_YET_DUE' WHEN :today - due_on <= 30 THEN 'DAYS_0_30'
                 WHEN :today - due_on <= 90 THEN 'DAYS_31_90' ELSE 'DAYS_91_PLUS' END AS age,
            count(DISTINCT account_id) AS accounts, sum(part) AS debt
        FROM analytics_debt_part AS r
        WHERE {conditions}
        GROUP BY 1, 2
        ORDER BY 1, 2
        """,
        {"today": today, **params},
    )
    return [DebtRow(row.locality, DebtAge(row.age), row.accounts, int(row.debt)) for row in rows]


@dataclass(frozen=True, slots=True)
class ReadingSourceRow:
    period: date
    source: ReadingSource
    readings: int  # accepted readings (one per zone)
    meters: int


async def reading_sources_by_month(*, db: Database, filters: Filters) -> list[ReadingSourceRow]:
    """Accepted readings per billing month and source. Meters of contracts have no account: an account filter
    leaves them out."""
    conditions, params = filters.account_conditions("r")
    rows = await fetch(
        db,
        f"""
        SELECT period, source, sum(readings) AS readings, sum(meters) AS meters
        FROM analytics_readings AS r
        WHERE period >= :period_from AND period < :period_to AND {conditions}
        GROUP BY period, source
        ORDER BY period, source
        """,
        {**filters.period_params(), **params},
    )
    return [ReadingSourceRow(row.period, ReadingSource(row.source), int(row.readings), int(row.meters)) for row in rows]


@dataclass(frozen=True, slots=True)
class SubmittingRow:
    period: date
    customers: int  # customers with an account (of the filter) linked by the month's end
    submitting: int  # of them, those who submitted a reading counting toward the month
    share: Decimal  # submitting / customers, 4 decimals; 0 without customers


async def customers_submitting_by_month(*, db: Database, filters: Filters) -> list[SubmittingRow]:
    conditions, params = filters.account_conditions("r")
    rows = await fetch(
        db,
        f"""
        WITH months AS (
            SELECT generate_series(CAST(:period_from AS date), CAST(:period_to AS date) - 1, interval '1 month')::date
                AS period
        ), linked AS (
            SELECT month, customers FROM analytics_linked AS r WHERE rolled_up = :rolled_up AND {conditions}
        ), submitting AS (
            SELECT period, customers FROM analytics_submitting AS r
            WHERE rolled_up = :rolled_up AND period >= :period_from AND period < :period_to AND {conditions}
        )
        SELECT months.period,
            (SELECT coalesce(sum(customers), 0) FROM linked WHERE month <= months.period) AS customers,
            coalesce(submitting.customers, 0) AS submitting
        FROM months LEFT JOIN submitting ON submitting.period = months.period
        ORDER BY months.period
        """,
        {**filters.period_params(), "rolled_up": filters.rolled_up, **params},
    )
    return [
        SubmittingRow(
            row.period,
            int(row.customers),
            int(row.submitting),
            (Decimal(row.submitting) / int(row.customers)).quantize(Decimal("0.0001")) if row.customers else Decimal(0),
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class AppealsRow:
    topic: AppealTopic
    status: AppealStatus
    appeals: int
    answered: int  # with at least one operator's message
    first_reply_p50_seconds: int | None  # from the appeal to the first operator's message
    first_reply_p90_seconds: int | None


async def appeals_by_topic_and_status(*, db: Database, filters: Filters) -> list[AppealsRow]:
    """Appeals created in the months, per topic and status, with first-reply time percentiles (continuous, as
    percentile_cont interpolates). Appeals not about an account are left out by an account filter."""
    conditions, params = filters.account_conditions("r")
    rows = await fetch(
        db,
        f"""
        SELECT topic, status, count(*) AS appeals, count(first_reply_seconds) AS answered,
            round(percentile_cont(0.5) WITHIN GROUP (ORDER BY first_reply_seconds))::bigint AS p50,
            round(percentile_cont(0.9) WITHIN GROUP (ORDER BY first_reply_seconds))::bigint AS p90
        FROM analytics_appeal AS r
        WHERE created_at >= :since AND created_at < :until AND {conditions}
        GROUP BY topic, status
        ORDER BY topic, status
        """,
        {"since": _instant(filters.period_from), "until": _instant(filters.period_to), **params},
    )
    return [
        AppealsRow(AppealTopic(row.topic), AppealStatus(row.status), row.appeals, row.answered, row.p50, row.p90)
        for row in rows
    ]


class Season(StrEnum):
    WINTER = "WINTER"  # December to February
    SPRING = "SPRING"
    SUMMER = "SUMMER"
    AUTUMN = "AUTUMN"


class DayType(StrEnum):
    WEEKDAY = "WEEKDAY"
    WEEKEND = "WEEKEND"  # Saturday and Sunday (public holidays are not told apart)


@dataclass(frozen=True, slots=True)
class LoadCurveRow:
    season: Season
    day_type: DayType
    hour: int  # local hour of the day, 0-23
    hours: int  # meter-hours averaged
    average_a_plus_wh: Decimal  # mean A+ of those hours, 1 decimal


async def load_curves(*, db: Database, filters: Filters) -> list[LoadCurveRow]:
    """The average hourly A+ profile of smart meters by season, weekday / weekend and local hour."""
    conditions, params = filters.account_conditions("r")
    rows = await fetch(
        db,
        f"""
        SELECT
            CASE WHEN extract(month FROM month) IN (12, 1, 2) THEN 'WINTER'
                 WHEN extract(month FROM month) IN (3, 4, 5) THEN 'SPRING'
                 WHEN extract(month FROM month) IN (6, 7, 8) THEN 'SUMMER' ELSE 'AUTUMN' END AS season,
            CASE WHEN weekend THEN 'WEEKEND' ELSE 'WEEKDAY' END AS day_type, hour,
            sum(hours) AS hours, round(sum(a_plus_wh)::numeric / sum(hours), 1) AS average
        FROM analytics_load AS r
        WHERE month >= :period_from AND month < :period_to AND {conditions}
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3
        """,
        {**filters.period_params(), **params},
    )
    return [
        LoadCurveRow(Season(row.season), DayType(row.day_type), row.hour, int(row.hours), row.average) for row in rows
    ]

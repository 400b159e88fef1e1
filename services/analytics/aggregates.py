"""Aggregates for analysts, computed in SQL: one statement each, typed rows out, no personal data in them.

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


def _account_join(filters: Filters, account_column: str) -> tuple[str, str, dict[str, object]]:
    """A join to the account and its conditions, only when an account filter is set."""
    if not filters.filters_accounts:
        return "", "true", {}
    conditions, params = filters.account_conditions("a")
    return f"JOIN personal_account AS a ON a.id = {account_column}", conditions, params


@dataclass(frozen=True, slots=True)
class ConsumptionRow:
    period: date
    zone: TariffZone
    accounts: int
    volume_kwh: int


async def consumption_by_month_and_zone(*, db: Database, filters: Filters) -> list[ConsumptionRow]:
    """Billed consumption (charges of kind CONSUMPTION) per month and tariff zone."""
    join, conditions, params = _account_join(filters, "c.account_id")
    rows = await fetch(
        db,
        f"""
        SELECT c.period, c.zone, count(DISTINCT c.account_id) AS accounts, sum(c.volume_kwh) AS volume_kwh
        FROM charge AS c {join}
        WHERE c.kind = 'CONSUMPTION' AND c.period >= :period_from AND c.period < :period_to AND {conditions}
        GROUP BY c.period, c.zone
        ORDER BY c.period, c.zone
        """,
        {**filters.period_params(), **params},
    )
    return [ConsumptionRow(row.period, TariffZone(row.zone), row.accounts, int(row.volume_kwh)) for row in rows]


@dataclass(frozen=True, slots=True)
class ChargesRow:
    period: date
    accounts: int
    charged_kopecks: int  # consumption charges of the month
    recalculated_kopecks: int  # recalculations billed in the month (may be negative)


async def charges_by_month(*, db: Database, filters: Filters) -> list[ChargesRow]:
    join, conditions, params = _account_join(filters, "c.account_id")
    rows = await fetch(
        db,
        f"""
        SELECT c.period, count(DISTINCT c.account_id) AS accounts,
            coalesce(sum(c.amount) FILTER (WHERE c.kind = 'CONSUMPTION'), 0) AS charged,
            coalesce(sum(c.amount) FILTER (WHERE c.kind = 'RECALCULATION'), 0) AS recalculated
        FROM charge AS c {join}
        WHERE c.period >= :period_from AND c.period < :period_to AND {conditions}
        GROUP BY c.period
        ORDER BY c.period
        """,
        {**filters.period_params(), **params},
    )
    return [ChargesRow(row.period, row.accounts, int(row.charged), int(row.recalculated)) for row in rows]


@dataclass(frozen=True, slots=True)
class PaymentsRow:
    period: date  # the local month the payment succeeded in
    method: PaymentMethod
    payments: int
    amount_kopecks: int


async def payments_by_month_and_method(*, db: Database, filters: Filters) -> list[PaymentsRow]:
    """Succeeded payments per month of payment and method."""
    join, conditions, params = _account_join(filters, "p.account_id")
    rows = await fetch(
        db,
        f"""
        SELECT date_trunc('month', p.paid_at AT TIME ZONE {TZ})::date AS period, p.method,
            count(*) AS payments, sum(p.amount) AS amount
        FROM payment AS p {join}
        WHERE p.status = 'SUCCEEDED' AND p.paid_at >= :since AND p.paid_at < :until AND {conditions}
        GROUP BY 1, 2
        ORDER BY 1, 2
        """,
        {"since": _instant(filters.period_from), "until": _instant(filters.period_to), **params},
    )
    return [PaymentsRow(row.period, PaymentMethod(row.method), row.payments, int(row.amount)) for row in rows]


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
    """Today's electricity debt, aged: payments settle the oldest statements first, so the debt is the newest
    statements' charges, and each part is as old as its statement's due date. A debt larger than every statement
    billed is the oldest statement's. Penalty and state duty are not aged; the period filter does not apply."""
    conditions, params = filters.account_conditions("a")
    today = clock.now().astimezone(LOCAL_TZ).date()
    rows = await fetch(
        db,
        f"""
        WITH debtor AS (
            SELECT d.account_id, a.locality, d.electricity AS debt
            FROM account_debt AS d JOIN personal_account AS a ON a.id = d.account_id
            WHERE d.electricity > 0 AND {conditions}
        ), layered AS (
            SELECT debtor.account_id, debtor.locality, debtor.debt, s.due_on,
                s.charged + s.recalculated AS billed,
                sum(s.charged + s.recalculated) OVER newest_first AS newer_and_this,
                s.period = min(s.period) OVER (PARTITION BY s.account_id) AS oldest
            FROM debtor JOIN statement AS s ON s.account_id = debtor.account_id
            WINDOW newest_first AS (PARTITION BY s.account_id ORDER BY s.period DESC)
        ), attributed AS (
            SELECT account_id, locality, :today - due_on AS overdue,
                CASE WHEN oldest THEN debt - (newer_and_this - billed)
                     ELSE least(billed, debt - (newer_and_this - billed)) END AS part
            FROM layered
            WHERE debt > newer_and_this - billed
        )
        SELECT locality,
            CASE WHEN overdue <= 0 THEN 'NOT_YET_DUE' WHEN overdue <= 30 THEN 'DAYS_0_30'
                 WHEN overdue <= 90 THEN 'DAYS_31_90' ELSE 'DAYS_91_PLUS' END AS age,
            count(DISTINCT account_id) AS accounts, sum(part) AS debt
        FROM attributed
        WHERE part > 0
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
    join = ""
    conditions, params = "true", {}
    if filters.filters_accounts:
        conditions, params = filters.account_conditions("a")
        join = "JOIN meter AS m ON m.id = r.meter_id JOIN personal_account AS a ON a.id = m.account_id"
    rows = await fetch(
        db,
        f"""
        SELECT r.period, r.source, count(*) AS readings, count(DISTINCT r.meter_id) AS meters
        FROM reading AS r {join}
        WHERE r.status = 'ACCEPTED' AND r.period >= :period_from AND r.period < :period_to AND {conditions}
        GROUP BY 1, 2
        ORDER BY 1, 2
        """,
        {**filters.period_params(), **params},
    )
    return [ReadingSourceRow(row.period, ReadingSource(row.source), row.readings, row.meters) for row in rows]


@dataclass(frozen=True, slots=True)
class SubmittingRow:
    period: date
    customers: int  # customers with an account (of the filter) linked by the month's end
    submitting: int  # of them, those who submitted a reading counting toward the month
    share: Decimal  # submitting / customers, 4 decimals; 0 without customers


async def customers_submitting_by_month(*, db: Database, filters: Filters) -> list[SubmittingRow]:
    conditions, params = filters.account_conditions("a")
    rows = await fetch(
        db,
        f"""
        WITH months AS (
            SELECT generate_series(CAST(:period_from AS date), CAST(:period_to AS date) - 1, interval '1 month')::date
                AS period
        ), first_link AS (
            SELECT date_trunc('month', min(l.linked_at) AT TIME ZONE {TZ})::date AS month
            FROM account_link AS l JOIN personal_account AS a ON a.id = l.account_id
            WHERE {conditions}
            GROUP BY l.customer_id
        ), linked_by_month AS (
            SELECT month, count(*) AS customers FROM first_link GROUP BY month
        ), submitting AS (
            SELECT s.period, count(DISTINCT s.customer_id) AS submitting
            FROM reading_submission AS s JOIN personal_account AS a ON a.id = s.account_id
            WHERE s.period >= :period_from AND s.period < :period_to AND {conditions}
            GROUP BY s.period
        )
        SELECT months.period,
            (SELECT coalesce(sum(customers), 0) FROM linked_by_month WHERE month <= months.period) AS customers,
            coalesce(submitting.submitting, 0) AS submitting
        FROM months LEFT JOIN submitting ON submitting.period = months.period
        ORDER BY months.period
        """,
        {**filters.period_params(), **params},
    )
    return [
        SubmittingRow(
            row.period,
            int(row.customers),
            row.submitting,
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
    join, conditions, params = _account_join(filters, "ap.account_id")
    rows = await fetch(
        db,
        f"""
        WITH chosen AS (
            SELECT ap.id, ap.topic, ap.status, ap.created_at
            FROM appeal AS ap {join}
            WHERE ap.created_at >= :since AND ap.created_at < :until AND {conditions}
        ), replied AS (
            SELECT chosen.*, (
                SELECT min(m.created_at) FROM appeal_message AS m
                WHERE m.appeal_id = chosen.id AND m.author_role IN ('OPERATOR', 'ADMIN')
            ) - chosen.created_at AS first_reply
            FROM chosen
        )
        SELECT topic, status, count(*) AS appeals, count(first_reply) AS answered,
            round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_reply)))::bigint AS p50,
            round(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM first_reply)))::bigint AS p90
        FROM replied
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
    points: int  # metering points with data
    hours: int  # meter-hours averaged
    average_a_plus_wh: Decimal  # mean A+ of those hours, 1 decimal


async def load_curves(*, db: Database, filters: Filters) -> list[LoadCurveRow]:
    """The average hourly A+ profile of smart meters by season, weekday / weekend and local hour."""
    join = ""
    conditions, params = "true", {}
    if filters.filters_accounts:
        conditions, params = filters.account_conditions("a")
        join = (
            "JOIN metering_point AS mp ON mp.id = h.metering_point_id"
            " JOIN personal_account AS a ON a.id = mp.account_id"
        )
    rows = await fetch(
        db,
        f"""
        WITH local AS (
            SELECT h.metering_point_id, h.hour AT TIME ZONE {TZ} AS at, h.a_plus_wh
            FROM isu_hourly_profile AS h {join}
            WHERE h.hour >= :since AND h.hour < :until AND {conditions}
        )
        SELECT
            CASE WHEN extract(month FROM at) IN (12, 1, 2) THEN 'WINTER'
                 WHEN extract(month FROM at) IN (3, 4, 5) THEN 'SPRING'
                 WHEN extract(month FROM at) IN (6, 7, 8) THEN 'SUMMER' ELSE 'AUTUMN' END AS season,
            CASE WHEN extract(isodow FROM at) IN (6, 7) THEN 'WEEKEND' ELSE 'WEEKDAY' END AS day_type,
            extract(hour FROM at)::integer AS hour,
            count(DISTINCT metering_point_id) AS points, count(*) AS hours, round(avg(a_plus_wh), 1) AS average
        FROM local
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3
        """,
        {"since": _instant(filters.period_from), "until": _instant(filters.period_to), **params},
    )
    return [
        LoadCurveRow(Season(row.season), DayType(row.day_type), row.hour, row.points, row.hours, row.average)
        for row in rows
    ]

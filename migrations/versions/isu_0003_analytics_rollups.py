"""analytics rollups: materialized views at the grain of the analysts' filters

Revision ID: isu_0003
Revises: isu_0002
Create Date: 2026-12-03 10:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'isu_0003'
down_revision: str | None = 'isu_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = "a.locality, a.object_kind, a.tariff_category"
KEY = "locality, object_kind, tariff_category"

VIEWS = {
    "analytics_consumption": (
        f"""
        SELECT c.period, c.zone, {DIMENSIONS},
            count(DISTINCT c.account_id) AS accounts, sum(c.volume_kwh)::bigint AS volume_kwh
        FROM charge AS c JOIN personal_account AS a ON a.id = c.account_id
        WHERE c.kind = 'CONSUMPTION'
        GROUP BY c.period, c.zone, {DIMENSIONS}
        """,
        f"period, zone, {KEY}",
    ),
    "analytics_charges": (
        f"""
        SELECT c.period, {DIMENSIONS}, count(DISTINCT c.account_id) AS accounts,
            coalesce(sum(c.amount) FILTER (WHERE c.kind = 'CONSUMPTION'), 0)::bigint AS charged,
            coalesce(sum(c.amount) FILTER (WHERE c.kind = 'RECALCULATION'), 0)::bigint AS recalculated
        FROM charge AS c JOIN personal_account AS a ON a.id = c.account_id
        GROUP BY c.period, {DIMENSIONS}
        """,
        f"period, {KEY}",
    ),
    "analytics_payments": (
        f"""
        SELECT date_trunc('month', p.paid_at AT TIME ZONE 'Europe/Moscow')::date AS period, p.method, {DIMENSIONS},
            count(*) AS payments, sum(p.amount)::bigint AS amount
        FROM payment AS p JOIN personal_account AS a ON a.id = p.account_id
        WHERE p.status = 'SUCCEEDED'
        GROUP BY 1, 2, {DIMENSIONS}
        """,
        f"period, method, {KEY}",
    ),
    "analytics_readings": (
        f"""
        SELECT r.period, r.source, {DIMENSIONS}, count(*) AS readings, count(DISTINCT r.meter_id) AS meters
        FROM reading AS r JOIN meter AS m ON m.id = r.meter_id LEFT JOIN personal_account AS a ON a.id = m.account_id
        WHERE r.status = 'ACCEPTED'
        GROUP BY r.period, r.source, {DIMENSIONS}
        """,
        f"period, source, {KEY}",
    ),
    # Today's electricity debt laid over the newest statements (payments settle the oldest first); each part keeps
    # its statement's due date, so that the age is counted at query time. See services/analytics/aggregates.py.
    "analytics_debt_part": (
        f"""
        WITH debtor AS (
            SELECT d.account_id, {DIMENSIONS}, d.electricity AS debt
            FROM account_debt AS d JOIN personal_account AS a ON a.id = d.account_id
            WHERE d.electricity > 0
        ), layered AS (
            SELECT debtor.*, s.period, s.due_on, s.charged + s.recalculated AS billed,
                sum(s.charged + s.recalculated) OVER (PARTITION BY s.account_id ORDER BY s.period DESC) AS newer_and_this,
                s.period = min(s.period) OVER (PARTITION BY s.account_id) AS oldest
            FROM debtor JOIN statement AS s ON s.account_id = debtor.account_id
        )
        SELECT account_id, {KEY}, period, due_on,
            (CASE WHEN oldest THEN debt - (newer_and_this - billed)
                  ELSE least(billed, debt - (newer_and_this - billed)) END)::bigint AS part
        FROM layered
        WHERE debt > newer_and_this - billed
            AND (CASE WHEN oldest THEN debt - (newer_and_this - billed)
                      ELSE least(billed, debt - (newer_and_this - billed)) END) > 0
        """,
        "account_id, period",
    ),
    # Customers by the month of their first link, and customers submitting per billing month, for every combination
    # of the account filters (CUBE): a customer with accounts in two localities counts once in each and once in
    # all, so that counts of distinct customers stay exact whatever is filtered. `rolled_up` is GROUPING(): bit 4
    # locality, 2 object kind, 1 tariff category, set where that filter is not applied.
    "analytics_linked": (
        f"""
        WITH firsts AS (
            SELECT l.customer_id, {DIMENSIONS},
                GROUPING(a.locality, a.object_kind, a.tariff_category) AS rolled_up, min(l.linked_at) AS first_link
            FROM account_link AS l JOIN personal_account AS a ON a.id = l.account_id
            GROUP BY l.customer_id, CUBE({DIMENSIONS})
        )
        SELECT date_trunc('month', first_link AT TIME ZONE 'Europe/Moscow')::date AS month, rolled_up, {KEY},
            count(*) AS customers
        FROM firsts
        GROUP BY 1, 2, {KEY}
        """,
        f"month, rolled_up, {KEY}",
    ),
    "analytics_submitting": (
        f"""
        SELECT s.period, GROUPING(a.locality, a.object_kind, a.tariff_category) AS rolled_up, {DIMENSIONS},
            count(DISTINCT s.customer_id) AS customers
        FROM reading_submission AS s JOIN personal_account AS a ON a.id = s.account_id
        GROUP BY s.period, CUBE({DIMENSIONS})
        """,
        f"period, rolled_up, {KEY}",
    ),
    # One row per appeal with its first operator reply, so that percentiles read no messages.
    "analytics_appeal": (
        f"""
        SELECT ap.id, ap.created_at, ap.topic, ap.status, {DIMENSIONS},
            extract(epoch FROM (
                SELECT min(m.created_at) FROM appeal_message AS m
                WHERE m.appeal_id = ap.id AND m.author_role IN ('OPERATOR', 'ADMIN')
            ) - ap.created_at) AS first_reply_seconds
        FROM appeal AS ap LEFT JOIN personal_account AS a ON a.id = ap.account_id
        """,
        "id",
    ),
    # Smart-meter hours per local month, day type and hour: sums and counts, so that averages stay exact.
    "analytics_load": (
        f"""
        WITH local AS (
            SELECT h.hour AT TIME ZONE 'Europe/Moscow' AS at, h.a_plus_wh, {DIMENSIONS}
            FROM isu_hourly_profile AS h
            JOIN metering_point AS mp ON mp.id = h.metering_point_id
            LEFT JOIN personal_account AS a ON a.id = mp.account_id
        )
        SELECT date_trunc('month', at)::date AS month,
            extract(isodow FROM at) IN (6, 7) AS weekend, extract(hour FROM at)::integer AS hour, {KEY},
            count(*) AS hours, sum(a_plus_wh)::bigint AS a_plus_wh
        FROM local
        GROUP BY 1, 2, 3, {KEY}
        """,
        f"month, weekend, hour, {KEY}",
    ),
}


def upgrade() -> None:
    for name, (query, key) in VIEWS.items():
        op.execute(f"CREATE MATERIALIZED VIEW {name} AS {query}")
        # Unique, so that REFRESH … CONCURRENTLY can run; NULLS NOT DISTINCT for meters of contracts (no account).
        op.execute(f"CREATE UNIQUE INDEX uq_{name} ON {name} ({key}) NULLS NOT DISTINCT")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP MATERIALIZED VIEW {name}")

"""The full cabinet served without GraphQL: asyncpg, hand-written SQL, nested dicts, orjson.

The yardstick of bench/cabinet.py: the same data as bench/cabinet.graphql (the same statements, one connection per
request, the same token and session checks), so the ratio of the two measures what the GraphQL layer costs.
Run: DATABASE_URL=… SECRET_KEY=… uv run uvicorn bench.plain_cabinet:app --port 8101
"""

from __future__ import annotations

import os
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.auth_tokens import decode_access_token

SECRET = os.environ["SECRET_KEY"]
DATABASE_URL = os.environ["DATABASE_URL"]
ZONES = {1: ["SINGLE"], 2: ["DAY", "NIGHT"], 3: ["PEAK", "SEMI_PEAK", "NIGHT"]}
# "Session alive" kept 5 s: with no revocation feed (the GraphQL server's guard hears revocations through the broker
# and keeps an answer up to 60 s), how long a revoked session may still be honoured: the GraphQL server checks less.
_alive: dict[uuid.UUID, float] = {}

SESSION = "SELECT revoked_at, expires_at FROM auth_session WHERE id = $1"
CUSTOMER = "SELECT id FROM customer WHERE id = $1"
LINKED = "SELECT account_id FROM account_link WHERE customer_id = $1"
LINKED_CONTRACTS = "SELECT contract_id FROM contract_link WHERE customer_id = $1"
ACCOUNTS = """
SELECT a.id, a.number, a.address, a.locality, a.object_kind, a.tariff_category, a.residents, a.benefit_recipients,
       a.area_m2::text AS area_m2, p.name AS provider_name, p.inn AS provider_inn, p.phone AS provider_phone,
       d.electricity, d.penalty, d.state_duty, d.updated_at AS debt_updated_at
FROM personal_account a
LEFT JOIN utility_provider p ON p.id = a.utility_provider_id
LEFT JOIN account_debt d ON d.account_id = a.id
WHERE a.id = ANY($1) ORDER BY a.number
"""
METERS = """
SELECT id, account_id, serial, model, zone_count, digits, verification_due_on, is_smart
FROM meter WHERE account_id = ANY($1) AND removed_on IS NULL ORDER BY installed_on, id
"""
LAST_READINGS = """
SELECT DISTINCT ON (meter_id, zone) id, meter_id, zone, value, taken_on, source
FROM reading WHERE meter_id = ANY($1) AND status = 'ACCEPTED' ORDER BY meter_id, zone, taken_on DESC, id DESC
"""
LAST_CHARGES = """
SELECT c.id, c.account_id, c.period, c.zone, c.kind, c.volume_kwh, c.rate_kopecks, c.amount
FROM charge c JOIN (SELECT account_id, max(period) AS period FROM statement WHERE account_id = ANY($1)
                    GROUP BY account_id) l ON l.account_id = c.account_id AND l.period = c.period
WHERE c.kind = 'CONSUMPTION' ORDER BY c.id
"""
TARIFFS = """
SELECT id, category, zone_count, zone, rate_kopecks, valid_from, valid_to FROM tariff
WHERE category = ANY($1) AND zone_count = ANY($2) AND valid_from <= $3 AND (valid_to IS NULL OR valid_to > $3)
"""
STATEMENTS = """
SELECT * FROM (SELECT s.*, row_number() OVER (PARTITION BY account_id ORDER BY period DESC, id DESC) AS rank
               FROM statement s WHERE account_id = ANY($1) AND period BETWEEN $2 AND $3) r
WHERE rank <= $4 ORDER BY account_id, rank
"""
STATEMENT_CHARGES = """
SELECT id, statement_id, zone, kind, basis, volume_kwh, rate_kopecks, amount, recalculated_period
FROM charge WHERE statement_id = ANY($1) ORDER BY id
"""
MONTH_PAYMENTS = """
SELECT id, account_id, amount, paid_at, method FROM payment
WHERE account_id = ANY($1) AND status = 'SUCCEEDED' AND paid_at >= $2 AND paid_at < $3 ORDER BY paid_at, id
"""
PAYMENTS = """
SELECT * FROM (SELECT p.id, p.account_id, p.created_at, p.paid_at, p.amount, p.electricity, p.penalty, p.state_duty,
                      p.method, p.status,
                      row_number() OVER (PARTITION BY account_id ORDER BY created_at DESC, id DESC) AS rank
               FROM payment p WHERE account_id = ANY($1) AND created_at >= $2 AND created_at < $3) r
WHERE rank <= $4 ORDER BY account_id, rank
"""
READINGS = """
SELECT * FROM (SELECT r.id, r.meter_id, r.zone, r.value, r.taken_on, r.period, r.source, r.status, m.account_id,
                      m.serial,
                      row_number() OVER (PARTITION BY m.account_id ORDER BY r.taken_on DESC, r.id DESC) AS rank
               FROM reading r JOIN meter m ON m.id = r.meter_id
               WHERE m.account_id = ANY($1) AND r.status = 'ACCEPTED' AND r.period BETWEEN $2 AND $3) x
WHERE rank <= 101 ORDER BY account_id, rank
"""
SUBMISSIONS = """
SELECT * FROM (SELECT s.id, s.status, s.reason, s.period, s.submitted_at, m.account_id,
                      row_number() OVER (PARTITION BY m.account_id ORDER BY s.submitted_at DESC, s.id DESC) AS rank
               FROM reading_submission s JOIN meter m ON m.id = s.meter_id
               WHERE m.account_id = ANY($1) AND s.period BETWEEN $2 AND $3) x
WHERE rank <= $4 ORDER BY account_id, rank
"""
SUBMITTED_VALUES = "SELECT submission_id, zone, value, consumption FROM submitted_value WHERE submission_id = ANY($1)"


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _page(rows: list[dict[str, Any]], first: int, cursor: tuple[str, str]) -> dict[str, Any]:
    page = rows[:first]
    last = page[-1] if page else None
    return {
        "pageInfo": {
            "hasNextPage": len(rows) > first,
            "endCursor": orjson.dumps([last[cursor[0]], last[cursor[1]]]).decode() if last else None,
        },
        "edges": [{"node": row} for row in page],
    }


async def _session_alive(connection: asyncpg.Connection, session_id: uuid.UUID) -> bool:
    checked = _alive.get(session_id)
    if checked is not None and time.monotonic() - checked < 5:
        return True
    row = await connection.fetchrow(SESSION, session_id)
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= datetime.now(UTC):
        return False
    _alive[session_id] = time.monotonic()
    return True


async def cabinet(request: Request) -> Response:
    _, _, token = (request.headers.get("authorization") or "").partition(" ")
    viewer = decode_access_token(secret=SECRET, token=token, now=datetime.now(UTC))
    if viewer is None:
        return Response(status_code=401)
    body = orjson.loads(await request.body())
    first = int(body.get("first", 24))
    period = body["period"]
    start, end = _month(date.fromisoformat(period["from"])), _month(date.fromisoformat(period["to"]))
    from services.platform.clock import LOCAL_TZ

    starts_at = datetime.combine(start, datetime.min.time(), LOCAL_TZ)
    ends_before = datetime.combine(_next_month(end), datetime.min.time(), LOCAL_TZ)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        if not await _session_alive(connection, viewer.session_id):
            return Response(status_code=401)
        customer = await connection.fetchrow(CUSTOMER, viewer.customer_id)
        ids = [row["account_id"] for row in await connection.fetch(LINKED, viewer.customer_id)]
        await connection.fetch(LINKED_CONTRACTS, viewer.customer_id)
        accounts = [dict(row) for row in await connection.fetch(ACCOUNTS, ids)]
        meters = [dict(row) for row in await connection.fetch(METERS, ids)]
        last_readings = await connection.fetch(LAST_READINGS, [m["id"] for m in meters])
        last_charges = await connection.fetch(LAST_CHARGES, ids)
        today = datetime.now(LOCAL_TZ).date()
        tariffs = await connection.fetch(
            TARIFFS, list({a["tariff_category"] for a in accounts}), list({m["zone_count"] for m in meters}), today
        )
        statements = [dict(row) for row in await connection.fetch(STATEMENTS, ids, start, end, first + 1)]
        lines = await connection.fetch(STATEMENT_CHARGES, [s["id"] for s in statements])
        month_payments = await connection.fetch(MONTH_PAYMENTS, ids, starts_at, ends_before)
        payments = [dict(row) for row in await connection.fetch(PAYMENTS, ids, starts_at, ends_before, first + 1)]
        readings = [dict(row) for row in await connection.fetch(READINGS, ids, start, end)]
        submissions = [dict(row) for row in await connection.fetch(SUBMISSIONS, ids, start, end, first + 1)]
        values = await connection.fetch(SUBMITTED_VALUES, [s["id"] for s in submissions])

    by_meter: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in last_readings:
        by_meter[row["meter_id"]].append({k: row[k] for k in ("id", "zone", "value", "taken_on", "source")})
    meters_of: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for meter in meters:
        meter["zones"] = ZONES[meter["zone_count"]]
        meter["lastReadings"] = by_meter[meter["id"]]
        meters_of[meter.pop("account_id")].append(meter)
    charges_of: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in last_charges:
        charges_of[row["account_id"]].append(dict(row))
    lines_of: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in lines:
        lines_of[row["statement_id"]].append(dict(row))
    paid_in: defaultdict[tuple[int, date], list[dict[str, Any]]] = defaultdict(list)
    for row in month_payments:
        paid_in[(row["account_id"], _month(row["paid_at"].astimezone(LOCAL_TZ).date()))].append(dict(row))
    statements_of: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for statement in statements:
        own = lines_of[statement["id"]]
        statement["charges"] = [line for line in own if line["kind"] == "CONSUMPTION"]
        statement["recalculations"] = [line for line in own if line["kind"] == "RECALCULATION"]
        statement["payments"] = paid_in[(statement["account_id"], statement["period"])]
        statement.pop("pdf_file_id")
        statement["pdfAvailable"] = True  # rendered on download (resolvers/files/routes.py)
        statements_of[statement["account_id"]].append(statement)
    payments_of: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for payment in payments:
        payments_of[payment["account_id"]].append(payment)
    readings_of: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for reading in readings:
        readings_of[reading["account_id"]].append(reading)
    values_of: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in values:
        values_of[row["submission_id"]].append(
            {"zone": row["zone"], "value": row["value"], "consumption": row["consumption"]}
        )
    submissions_of: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for submission in submissions:
        submission["values"] = values_of[submission["id"]]
        submissions_of[submission["account_id"]].append(submission)
    for account in accounts:
        account_id = account["id"]
        debt = [account.pop(k) for k in ("electricity", "penalty", "state_duty", "debt_updated_at")]
        account["debt"] = {"electricity": debt[0] or 0, "penalty": debt[1] or 0, "stateDuty": debt[2] or 0,
                           "total": sum(d or 0 for d in debt[:3]), "updatedAt": debt[3]}  # fmt: skip
        account["utilityProvider"] = (
            {
                "name": account.pop("provider_name"),
                "inn": account.pop("provider_inn"),
                "phone": account.pop("provider_phone"),
            }
            if account["provider_name"] is not None
            else None
        )
        account["meters"] = meters_of[account_id]
        account["lastCharges"] = charges_of[account_id]
        zone_counts = {m["zone_count"] for m in account["meters"]}
        account["currentTariffs"] = [
            dict(t) for t in tariffs if t["category"] == account["tariff_category"] and t["zone_count"] in zone_counts
        ]
        account["statements"] = _page(statements_of[account_id], first, ("period", "id"))
        account["payments"] = _page(payments_of[account_id], first, ("created_at", "id"))
        account["readings"] = _page(readings_of[account_id], 100, ("taken_on", "id"))
        account["readingSubmissions"] = _page(submissions_of[account_id], first, ("submitted_at", "id"))
    data = {"me": {"id": customer["id"] if customer else None, "personalAccounts": accounts, "contracts": []}}
    return Response(orjson.dumps({"data": data}, option=orjson.OPT_NON_STR_KEYS), media_type="application/json")


async def _open_pool(app: Starlette) -> None:
    dsn = DATABASE_URL.replace("postgresql+asyncpg://", "postgresql://")
    app.state.pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10)


async def _close_pool(app: Starlette) -> None:
    await app.state.pool.close()


async def healthz(_: Request) -> Response:
    return Response("ok")


def _lifespan(app: Starlette) -> Any:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(_: Starlette) -> Any:
        await _open_pool(app)
        yield
        await _close_pool(app)

    return lifespan(app)


app = Starlette(routes=[Route("/cabinet", cabinet, methods=["POST"]), Route("/healthz", healthz)], lifespan=_lifespan)

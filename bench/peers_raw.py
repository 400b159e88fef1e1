"""The peers' query (bench/peers.py) answered with raw asyncpg + orjson: the floor of what the answer can cost.

A customer → their personal accounts with details, debt and utility provider → meters in service → the last 12
accepted readings of each meter. Three statements on one pooled connection, nested dicts, orjson.
Run: DATABASE_URL=… uv run uvicorn bench.peers_raw:app --port 8102   (POST /peers {"customer": id})
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/lk_bench_speed")
READINGS_PER_METER = 12

ACCOUNTS = """
SELECT a.id, a.number, a.address, a.locality, a.object_kind, a.tariff_category, a.residents, a.benefit_recipients,
       a.area_m2::text AS area_m2, p.name AS provider_name, p.inn AS provider_inn, p.phone AS provider_phone,
       d.electricity, d.penalty, d.state_duty, d.updated_at AS debt_updated_at
FROM account_link l
JOIN personal_account a ON a.id = l.account_id
LEFT JOIN utility_provider p ON p.id = a.utility_provider_id
LEFT JOIN account_debt d ON d.account_id = a.id
WHERE l.customer_id = $1 ORDER BY a.number
"""
METERS = """
SELECT id, account_id, serial, model, zone_count, digits, verification_due_on, is_smart
FROM meter WHERE account_id = ANY($1::bigint[]) AND removed_on IS NULL ORDER BY installed_on, id
"""
READINGS = """
SELECT r.id, r.meter_id, r.zone, r.value, r.taken_on, r.source
FROM unnest($1::bigint[]) AS m(id)
CROSS JOIN LATERAL (
    SELECT id, meter_id, zone, value, taken_on, source FROM reading
    WHERE meter_id = m.id AND status = 'ACCEPTED' ORDER BY taken_on DESC, id DESC LIMIT $2
) r
"""


async def answer(pool: asyncpg.Pool, customer_id: int) -> dict[str, Any]:
    async with pool.acquire() as connection:
        accounts = [dict(row) for row in await connection.fetch(ACCOUNTS, customer_id)]
        meters = [dict(row) for row in await connection.fetch(METERS, [a["id"] for a in accounts])]
        readings = await connection.fetch(READINGS, [m["id"] for m in meters], READINGS_PER_METER)
    readings_of: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in readings:
        readings_of[row["meter_id"]].append(
            {
                "id": row["id"],
                "zone": row["zone"],
                "value": row["value"],
                "takenOn": row["taken_on"],
                "source": row["source"],
            }
        )
    meters_of: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for meter in meters:
        meters_of[meter["account_id"]].append(
            {
                "id": meter["id"],
                "serial": meter["serial"],
                "model": meter["model"],
                "zoneCount": meter["zone_count"],
                "digits": meter["digits"],
                "verificationDueOn": meter["verification_due_on"],
                "isSmart": meter["is_smart"],
                "readings": readings_of[meter["id"]],
            }
        )
    return {
        "customer": {
            "id": customer_id,
            "personalAccounts": [
                {
                    "id": a["id"],
                    "number": a["number"],
                    "address": a["address"],
                    "locality": a["locality"],
                    "objectKind": a["object_kind"],
                    "tariffCategory": a["tariff_category"],
                    "residents": a["residents"],
                    "benefitRecipients": a["benefit_recipients"],
                    "areaM2": a["area_m2"],
                    "utilityProvider": (
                        {"name": a["provider_name"], "inn": a["provider_inn"], "phone": a["provider_phone"]}
                        if a["provider_name"] is not None
                        else None
                    ),
                    "debt": {
                        "electricity": a["electricity"] or 0,
                        "penalty": a["penalty"] or 0,
                        "stateDuty": a["state_duty"] or 0,
                        "updatedAt": a["debt_updated_at"],
                    },
                    "meters": meters_of[a["id"]],
                }
                for a in accounts
            ],
        }
    }


async def peers(request: Request) -> Response:
    body = orjson.loads(await request.body())
    data = await answer(request.app.state.pool, int(body["customer"]))
    return Response(orjson.dumps({"data": data}), media_type="application/json")


async def healthz(_: Request) -> Response:
    return Response("ok")


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(DATABASE_URL, min_size=2, max_size=16)
    yield
    await app.state.pool.close()


app = Starlette(routes=[Route("/peers", peers, methods=["POST"]), Route("/healthz", healthz)], lifespan=_lifespan)

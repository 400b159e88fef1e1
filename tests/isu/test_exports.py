"""Downloads: a smart meter's CSV and Green Button (ESPI) files parse back to the stored data; aggregates as CSV;
who may download what; the head-end's batch over HTTP."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from models.enums import Role, TariffScale
from services.analytics.aggregates import consumption_by_month_and_zone
from services.analytics.filters import Filters
from services.analytics.rollups import refresh_rollups
from services.integrations.service_tokens import create_service_token
from services.isu.export import ATOM_NAMESPACE, ESPI_NAMESPACE
from services.platform.clock import LOCAL_TZ, FrozenClock
from services.platform.database import TransactionalDatabase
from services.platform.runtime import Runtime
from tests.analytics.fixture import NOV, SEP, build_town
from tests.support.cabinet import token_for
from tests.support.factories import create_customer
from tests.support.isu import (
    EVENTS,
    MISSING_HOUR,
    PROFILE_HOURS,
    PROFILE_START,
    REGISTER_DAYS,
    create_smart_meter,
    hour_values,
    register_values,
)

NS = {"atom": ATOM_NAMESPACE, "espi": ESPI_NAMESPACE}
DAYS = "from=2026-11-01&to=2026-11-04"  # local days: exactly the profile's 72 hours


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


async def _owner_and_meter(runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock) -> tuple[str, int, Any]:
    owner = await create_customer(db, now=clock.now())
    smart = await create_smart_meter(db, now=clock.now(), owner=owner)
    return await token_for(runtime, owner), smart.meter_id, owner


async def test_a_meters_hours_download_as_csv_equal_to_the_stored_hours(
    app_client: httpx.AsyncClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    token, meter_id, _ = await _owner_and_meter(runtime, db, clock)

    response = await app_client.get(f"/isu/meters/{meter_id}/hours.csv?{DAYS}", headers=_bearer(token))

    rows = _csv(response)
    expected = [(index, values) for index in range(PROFILE_HOURS) if (values := hour_values(index)) is not None]
    assert len(rows) == PROFILE_HOURS - 1
    assert [
        (
            datetime.fromisoformat(row["hour_start"]),
            int(row["a_plus_wh"]),
            int(row["a_minus_wh"]),
            int(row["r_plus_varh"]),
            int(row["r_minus_varh"]),
        )
        for row in rows
    ] == [(PROFILE_START + timedelta(hours=index), *values) for index, values in expected]
    assert rows[0]["hour_start"] == "2026-11-01T00:00:00+03:00"
    assert "attachment" in response.headers["content-disposition"]


async def test_registers_and_journal_download_as_csv(
    app_client: httpx.AsyncClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    token, meter_id, _ = await _owner_and_meter(runtime, db, clock)

    registers = _csv(await app_client.get(f"/isu/meters/{meter_id}/registers.csv?{DAYS}", headers=_bearer(token)))
    events = _csv(await app_client.get(f"/isu/meters/{meter_id}/events.csv?{DAYS}", headers=_bearer(token)))

    assert [
        (row["day"], row["scale"], *(int(row[name]) for name in ("a_plus_wh", "a_minus_wh", "r_plus_varh")))
        for row in registers
    ] == [
        (day.isoformat(), scale.value, *register_values(day, scale)[:3])
        for day in REGISTER_DAYS
        for scale in (TariffScale.T1, TariffScale.TOTAL)  # in the order of their names
    ]
    assert [(datetime.fromisoformat(row["occurred_at"]), row["category"], int(row["code"]), row["description"])
            for row in events] == [(at, category.value, code, text) for at, category, code, text in EVENTS]  # fmt: skip


async def test_a_meters_hours_download_as_green_button_espi_xml(
    app_client: httpx.AsyncClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    token, meter_id, _ = await _owner_and_meter(runtime, db, clock)

    response = await app_client.get(f"/isu/meters/{meter_id}/espi.xml?{DAYS}", headers=_bearer(token))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{{{ATOM_NAMESPACE}}}feed"
    assert len(feed.findall("atom:entry/atom:content/espi:UsagePoint", NS)) == 1
    assert len(feed.findall("atom:entry/atom:content/espi:MeterReading", NS)) == 4
    reading_types = feed.findall("atom:entry/atom:content/espi:ReadingType", NS)
    assert [(each.findtext("espi:uom", namespaces=NS), each.findtext("espi:flowDirection", namespaces=NS))
            for each in reading_types] == [("72", "1"), ("72", "19"), ("73", "1"), ("73", "19")]  # fmt: skip
    channels = [
        entry.findall("atom:content/espi:IntervalBlock", NS)
        for entry in feed.findall("atom:entry", NS)
        if entry.find("atom:content/espi:IntervalBlock", NS) is not None
    ]
    assert [len(blocks) for blocks in channels] == [3, 3, 3, 3]  # one block per local day
    stored = {
        PROFILE_START + timedelta(hours=index): values
        for index in range(PROFILE_HOURS)
        if (values := hour_values(index)) is not None
    }
    for position, blocks in enumerate(channels):
        readings = {
            datetime.fromtimestamp(int(reading.findtext("espi:timePeriod/espi:start", namespaces=NS) or ""), UTC): int(
                reading.findtext("espi:value", namespaces=NS) or ""
            )
            for block in blocks
            for reading in block.findall("espi:IntervalReading", NS)
        }
        assert readings == {hour: values[position] for hour, values in stored.items()}
    first_block = channels[0][0].find("espi:interval", NS)
    assert first_block is not None
    assert first_block.findtext("espi:start", namespaces=NS) == str(int(PROFILE_START.timestamp()))
    assert first_block.findtext("espi:duration", namespaces=NS) == "86400"
    assert PROFILE_START + timedelta(hours=MISSING_HOUR) not in readings


@pytest.mark.parametrize("kind", ["hours.csv", "registers.csv", "events.csv", "espi.xml"])
async def test_another_customers_meter_answers_exactly_like_a_missing_one(
    app_client: httpx.AsyncClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock, kind: str
) -> None:
    _, meter_id, _ = await _owner_and_meter(runtime, db, clock)
    stranger = await token_for(runtime, await create_customer(db, now=clock.now()))

    foreign = await app_client.get(f"/isu/meters/{meter_id}/{kind}?{DAYS}", headers=_bearer(stranger))
    missing = await app_client.get(f"/isu/meters/999999999/{kind}?{DAYS}", headers=_bearer(stranger))
    anonymous = await app_client.get(f"/isu/meters/{meter_id}/{kind}?{DAYS}")

    assert (foreign.status_code, foreign.content) == (missing.status_code, missing.content)
    assert foreign.status_code == 404
    assert anonymous.status_code == 401


async def test_an_analyst_downloads_a_meters_data_without_personal_identifiers(
    app_client: httpx.AsyncClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    owner_token, meter_id, owner = await _owner_and_meter(runtime, db, clock)
    analyst = await token_for(runtime, await create_customer(db, now=clock.now(), role=Role.ANALYST))

    for kind in ("hours.csv", "espi.xml", "events.csv"):
        by_analyst = await app_client.get(f"/isu/meters/{meter_id}/{kind}?{DAYS}", headers=_bearer(analyst))
        by_owner = await app_client.get(f"/isu/meters/{meter_id}/{kind}?{DAYS}", headers=_bearer(owner_token))

        assert by_analyst.status_code == 200
        assert by_analyst.content == by_owner.content
        text = by_analyst.content.decode()
        assert owner.phone not in text
        assert "пр-кт Троицкий" not in text  # the account's street and house


@pytest.mark.parametrize("query", ["from=2026-11-04&to=2026-11-01", "from=2026-01-01&to=2027-02-01", "from=x&to=y", ""])
async def test_a_bad_day_range_is_a_clear_error(
    app_client: httpx.AsyncClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock, query: str
) -> None:
    token, meter_id, _ = await _owner_and_meter(runtime, db, clock)

    response = await app_client.get(f"/isu/meters/{meter_id}/hours.csv?{query}", headers=_bearer(token))

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_INPUT"


async def test_an_aggregate_downloads_as_csv_for_analysts_only(
    app_client: httpx.AsyncClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    town = await build_town(db, now=clock.now())
    await refresh_rollups(db=db, concurrently=False)
    url = f"/analytics/consumption.csv?from=2026-09&to=2026-11&locality={town.locality}"
    tokens = {
        role: await token_for(runtime, await create_customer(db, now=clock.now(), role=role))
        for role in (Role.CUSTOMER, Role.OPERATOR, Role.ANALYST, Role.ADMIN)
    }

    statuses = {role: (await app_client.get(url, headers=_bearer(token))).status_code for role, token in tokens.items()}
    anonymous = await app_client.get(url)
    rows = _csv(await app_client.get(url, headers=_bearer(tokens[Role.ANALYST])))

    assert statuses == {Role.CUSTOMER: 403, Role.OPERATOR: 403, Role.ANALYST: 200, Role.ADMIN: 200}
    assert anonymous.status_code == 401
    stored = await consumption_by_month_and_zone(
        db=db, filters=Filters(period_from=SEP, period_to=NOV, locality=town.locality)
    )
    assert rows == [
        {
            "period": row.period.isoformat(),
            "zone": row.zone.value,
            "accounts": str(row.accounts),
            "volume_kwh": str(row.volume_kwh),
        }
        for row in stored
    ]
    assert len(rows) == 6


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("charges", "period,accounts,charged_kopecks,recalculated_kopecks"),
        ("payments", "period,method,payments,amount_kopecks"),
        ("debt", "locality,age,accounts,debt_kopecks"),
        ("reading-sources", "period,source,readings,meters"),
        ("submitting", "period,customers,submitting,share"),
        ("appeals", "topic,status,appeals,answered,first_reply_p50_seconds,first_reply_p90_seconds"),
        ("load-curves", "season,day_type,hour,hours,average_a_plus_wh"),
    ],
)
async def test_every_aggregate_downloads_with_its_header(
    app_client: httpx.AsyncClient,
    runtime: Runtime,
    db: TransactionalDatabase,
    clock: FrozenClock,
    *,
    name: str,
    header: str,
) -> None:
    town = await build_town(db, now=clock.now())
    await refresh_rollups(db=db, concurrently=False)
    analyst = await token_for(runtime, await create_customer(db, now=clock.now(), role=Role.ANALYST))

    response = await app_client.get(
        f"/analytics/{name}.csv?from=2026-09&to=2026-11&locality={town.locality}", headers=_bearer(analyst)
    )

    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0] == header
    assert len(lines) > 1


async def test_bad_aggregate_parameters_are_clear_errors(
    app_client: httpx.AsyncClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    analyst = _bearer(await token_for(runtime, await create_customer(db, now=clock.now(), role=Role.ANALYST)))

    backwards = await app_client.get("/analytics/charges.csv?from=2026-11&to=2026-09", headers=analyst)
    no_months = await app_client.get("/analytics/charges.csv", headers=analyst)
    bad_kind = await app_client.get("/analytics/charges.csv?from=2026-09&to=2026-11&objectKind=CASTLE", headers=analyst)
    unknown = await app_client.get("/analytics/everything.csv?from=2026-09&to=2026-11", headers=analyst)

    assert [response.status_code for response in (backwards, no_months, bad_kind, unknown)] == [400, 400, 400, 404]
    assert backwards.json()["code"] == "INVALID_INPUT"


async def test_the_head_end_posts_a_batch_with_an_isu_write_token(
    app_client: httpx.AsyncClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    smart = await create_smart_meter(db, now=clock.now())
    async with db.connection() as connection:
        code = (
            await connection.execute(text("SELECT code FROM metering_point WHERE id = :id"), {"id": smart.point_id})
        ).scalar_one()
    writer = await create_service_token(runtime, name="ИСУ", scopes=["isu:write"])
    reader = await create_service_token(runtime, name="биллинг", scopes=["readings:write"])
    hour = (PROFILE_START + timedelta(hours=100)).astimezone(LOCAL_TZ).isoformat()
    body = (
        "record,point,at,a_plus_wh,a_minus_wh,r_plus_varh,r_minus_varh\n"
        f"HOUR,{code},{hour},5,0,1,0\nHOUR,NOPE,{hour},1,0,0,0\n"
    )

    first = await app_client.post("/isu/batches/b-1", content=body.encode(), headers=_bearer(writer))
    again = await app_client.post("/isu/batches/b-1", content=body.encode(), headers=_bearer(writer))
    forbidden = await app_client.post("/isu/batches/b-2", content=body.encode(), headers=_bearer(reader))
    anonymous = await app_client.post("/isu/batches/b-3", content=body.encode())
    bad_header = await app_client.post("/isu/batches/b-4", content=b"when,what\n", headers=_bearer(writer))

    assert first.status_code == 200
    report = first.json()
    assert report["counts"]["HOUR"] == {"accepted": 1, "duplicate": 0, "refused": 1}
    assert report["refusals"] == [
        {"line": 3, "record": "HOUR", "code": "UNKNOWN_POINT", "message": "Точка учёта не найдена"}
    ]
    assert again.json() == {**report, "repeated": True}
    assert (forbidden.status_code, anonymous.status_code, bad_header.status_code) == (403, 401, 400)

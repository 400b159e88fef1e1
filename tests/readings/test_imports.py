"""importReadings: integrations push accepted readings, idempotent by batch id and by (source, external id)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from models import Meter
from models.enums import ReadingSource, TariffZone
from services.errors import DomainError, ErrorCode
from services.integrations.service_tokens import READINGS_WRITE, ServicePrincipal, create_service_token
from services.platform.clock import FrozenClock
from services.platform.database import run
from services.platform.runtime import Runtime
from services.readings.imports import ImportItem, import_readings
from tests.support.factories import create_account
from tests.support.graphql import GraphQLClient
from tests.support.readings import error_codes, meter_gid, row_counts

IMPORT = """
mutation($input: ImportReadingsInput!) {
  importReadings(input: $input) { created skipped repeatedBatch errors { field code message } }
}"""


@pytest.fixture
async def integration(runtime: Runtime, gql: GraphQLClient) -> GraphQLClient:
    return gql.as_token(await create_service_token(runtime, name="ИКУ «Управдом»", scopes=["readings:write"]))


@pytest.fixture
async def meter(runtime: Runtime, clock: FrozenClock) -> Meter:
    _, meter = await create_account(runtime.db, now=clock.now(), zone_count=2)
    return meter


def batch(batch_id: str, items: list[dict[str, Any]], source: str = "UTILITY_PROVIDER") -> dict[str, Any]:
    return {"input": {"source": source, "batchId": batch_id, "items": items}}


def item(meter: Meter, external_id: str, zone: str, value: int, taken_on: str = "2026-11-20") -> dict[str, Any]:
    return {"externalId": external_id, "meterSerial": meter.serial, "zone": zone, "value": value, "takenOn": taken_on}


async def stored(runtime: Runtime, meter: Meter) -> list[tuple[str, int, str]]:
    async with runtime.db.session() as session:
        rows = await run(
            session,
            sa.text("SELECT zone, value, source FROM reading WHERE meter_id = :id ORDER BY zone"),
            {"id": meter.id},
        )
        return [(row.zone, row.value, row.source) for row in rows]


async def test_readings_are_imported_by_serial_or_id(
    integration: GraphQLClient, runtime: Runtime, meter: Meter
) -> None:
    by_id = {"externalId": "r-2", "meterId": meter_gid(meter), "zone": "NIGHT", "value": 7040, "takenOn": "2026-11-20"}

    data = await integration.execute(IMPORT, batch("b-1", [item(meter, "r-1", "DAY", 16150), by_id]))

    assert data["importReadings"] == {"created": 2, "skipped": 0, "repeatedBatch": False, "errors": []}
    assert await stored(runtime, meter) == [("DAY", 16150, "UTILITY_PROVIDER"), ("NIGHT", 7040, "UTILITY_PROVIDER")]


async def test_a_batch_sent_again_changes_nothing(integration: GraphQLClient, runtime: Runtime, meter: Meter) -> None:
    await integration.execute(IMPORT, batch("b-1", [item(meter, "r-1", "DAY", 16150)]))
    before = await row_counts(runtime)

    data = await integration.execute(IMPORT, batch("b-1", [item(meter, "r-9", "DAY", 99)]))

    assert data["importReadings"]["repeatedBatch"] is True
    assert await row_counts(runtime) == before


async def test_an_item_sent_again_in_a_new_batch_is_skipped(
    integration: GraphQLClient, runtime: Runtime, meter: Meter
) -> None:
    await integration.execute(IMPORT, batch("b-1", [item(meter, "r-1", "DAY", 16150)]))

    data = await integration.execute(
        IMPORT, batch("b-2", [item(meter, "r-1", "DAY", 16150), item(meter, "r-2", "NIGHT", 1)])
    )

    assert (data["importReadings"]["created"], data["importReadings"]["skipped"]) == (1, 1)
    assert len(await stored(runtime, meter)) == 2


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ({"zone": "PEAK"}, "ZONES_MISMATCH"),
        ({"value": 1_000_000}, "TOO_MANY_DIGITS"),
        ({"value": -1}, "INVALID_INPUT"),
        ({"meterSerial": "000"}, "METER_NOT_FOUND"),
        ({"takenOn": "2026-12-01"}, "INVALID_INPUT"),
        ({"externalId": ""}, "INVALID_INPUT"),
    ],
)
async def test_a_batch_with_a_bad_item_stores_nothing(
    integration: GraphQLClient, runtime: Runtime, meter: Meter, bad: dict[str, Any], code: str
) -> None:
    # given
    before = await row_counts(runtime)

    # when
    data = await integration.execute(
        IMPORT, batch("b-1", [item(meter, "ok", "DAY", 1), {**item(meter, "r", "DAY", 5), **bad}])
    )

    # then
    assert error_codes(data["importReadings"]) == [code]
    assert data["importReadings"]["errors"][0]["field"][:3] == ["input", "items", "1"]
    assert await row_counts(runtime) == before
    # a batch refused for its content may be sent again, corrected
    fixed = await integration.execute(IMPORT, batch("b-1", [item(meter, "ok", "DAY", 1)]))
    assert fixed["importReadings"]["created"] == 1


async def test_customer_readings_cannot_be_imported(integration: GraphQLClient, meter: Meter) -> None:
    data = await integration.execute(IMPORT, batch("b-1", [item(meter, "r-1", "DAY", 1)], source="CUSTOMER"))

    assert error_codes(data["importReadings"]) == ["INVALID_INPUT"]


async def test_the_service_refuses_a_token_without_readings_write(runtime: Runtime, meter: Meter) -> None:
    # given: an accepted reading and a token granting another scope
    reading = ImportItem(
        external_id="f-1", zone=TariffZone.DAY, value=16150, taken_on=date(2026, 11, 20), meter_serial=meter.serial
    )
    other = ServicePrincipal(token_id=1, name="ИКУ", scopes=frozenset({"tech_connections:write"}))
    allowed = ServicePrincipal(token_id=1, name="ИКУ", scopes=frozenset({READINGS_WRITE}))

    # when / then: refused by the service itself, nothing written (not even the batch id)
    with pytest.raises(DomainError) as refused:
        await import_readings(
            runtime, principal=other, source=ReadingSource.UTILITY_PROVIDER, batch_id="f", items=[reading]
        )
    assert [problem.code for problem in refused.value.problems] == [ErrorCode.FORBIDDEN]
    assert await stored(runtime, meter) == []
    async with runtime.db.session() as session:
        batches = await run(session, sa.text("SELECT count(*) FROM import_batch WHERE sender = 'ИКУ'"))
        assert batches.scalar_one() == 0

    # and with the scope the reading is stored
    result = await import_readings(
        runtime, principal=allowed, source=ReadingSource.UTILITY_PROVIDER, batch_id="f", items=[reading]
    )
    assert result.created == 1
    assert await stored(runtime, meter) == [("DAY", 16150, "UTILITY_PROVIDER")]

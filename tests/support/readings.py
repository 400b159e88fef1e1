"""Readings tests: meters with accepted history, the GraphQL documents, row counts and a committed database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from strawberry.relay import to_base64

from models import AccountLink, Customer, Meter, Reading
from models.enums import ZONES_BY_COUNT, ReadingSource
from services.cabinet.periods import month_start
from services.platform.database import Database, run
from services.platform.runtime import Runtime

ERRORS = "errors { field code message }"
SUBMISSION_FIELDS = "id status reason period submittedAt values { zone value consumption }"

SUBMIT = f"""
mutation($input: SubmitReadingsInput!) {{
  submitReadings(input: $input) {{ submission {{ {SUBMISSION_FIELDS} }} notice {ERRORS} }}
}}"""

PREVIEW = f"""
query($meterId: ID!, $values: [ReadingValueInput!]!) {{
  readingPreview(meterId: $meterId, values: $values) {{
    period inWindow notice goesToReview
    zones {{ zone value previousValue previousTakenOn previousPending consumption rate estimatedCost {ERRORS} }}
    {ERRORS}
  }}
}}"""

REVIEW = f"""
mutation($input: ReviewReadingSubmissionInput!) {{
  reviewReadingSubmission(input: $input) {{ submission {{ {SUBMISSION_FIELDS} }} {ERRORS} }}
}}"""

STATUS_CHANGED = """
subscription($accountId: ID, $after: String) {
  readingStatusChanged(accountId: $accountId, after: $after) {
    eventId oldStatus newStatus at reason submission { id status period values { zone value } }
  }
}"""

COUNTED_TABLES = ("reading_submission", "submitted_value", "reading", "outbox_event")


def meter_gid(meter: Meter) -> str:
    return to_base64("Meter", str(meter.id))


def submission_gid(submission_id: int | str) -> str:
    return to_base64("ReadingSubmission", str(submission_id))


def submit_input(meter: Meter, values: dict[str, str], key: str | None = None) -> dict[str, Any]:
    return {
        "input": {
            "meterId": meter_gid(meter),
            "values": [{"zone": zone, "value": value} for zone, value in values.items()],
            "idempotencyKey": key or uuid.uuid4().hex,
        }
    }


async def add_readings(
    db: Database,
    meter: Meter,
    history: Sequence[tuple[date, int | Sequence[int]]],
    *,
    source: ReadingSource = ReadingSource.UTILITY_PROVIDER,
    now: datetime,
) -> None:
    """Accepted readings: (date, value) for a one-zone meter, (date, [value per zone]) for others."""
    zones = ZONES_BY_COUNT[meter.zone_count]
    assert meter.id is not None
    async with db.session() as session:
        for taken_on, values in history:
            per_zone = [values] if isinstance(values, int) else list(values)
            for zone, value in zip(zones, per_zone, strict=True):
                session.add(
                    Reading(
                        meter_id=meter.id,
                        zone=zone,
                        value=value,
                        taken_on=taken_on,
                        period=month_start(taken_on),
                        source=source,
                        created_at=now,
                    )
                )
        await session.commit()


async def link_family_member(db: Database, meter: Meter, member: Customer, *, now: datetime) -> None:
    """`member` links the meter's account too (one account, several customers)."""
    assert meter.account_id is not None
    assert member.id is not None
    async with db.session() as session:
        session.add(AccountLink(customer_id=member.id, account_id=meter.account_id, linked_at=now))
        await session.commit()


async def row_counts(runtime: Runtime) -> dict[str, int]:
    async with runtime.db.session() as session:
        return {
            table: int((await run(session, sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())
            for table in COUNTED_TABLES
        }


def error_codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def subscription_error(socket: Any) -> dict[str, Any]:
    """The first error a subscription answers with: an `error` message (refused before it started) or a `next`
    carrying errors (refused by the resolver)."""
    message = await socket.receive()
    errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors")
    assert errors, message
    return {"message": errors[0]["message"], "code": errors[0]["extensions"]["code"]}

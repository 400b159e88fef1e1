"""A smart meter's data for download: CSV (hours, daily registers, the journal) and Green Button (NAESB ESPI) XML.

Both are streamed from a server-side cursor, so a year of hours never sits in memory at once. Who may download is
decided by `visible_point`: the customers linked to the meter's account or contract, and staff readers; for anyone
else the meter does not exist. The files carry no personal data (no name, phone, email or address), so analysts get
the same files as the owner.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import sqlalchemy as sa

from models.enums import Role
from services.analytics.export import csv_lines
from services.platform.clock import LOCAL_TZ
from services.platform.database import Database

MAX_EXPORT_DAYS = 366
ESPI_NAMESPACE = "http://naesb.org/espi"
ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
_STAFF = frozenset({Role.OPERATOR, Role.ANALYST, Role.ADMIN})
_ID_NAMESPACE = uuid.UUID("6f1c2a52-6c4b-4d39-9a55-0a0f4b1e1d2c")  # stable ESPI ids from our ids


@dataclass(frozen=True, slots=True)
class ExportPoint:
    point_id: int
    meter_id: int
    code: str


_VISIBLE = sa.text(
    """
    SELECT mp.id, m.id AS meter_id, mp.code
    FROM metering_point AS mp JOIN meter AS m ON m.id = mp.meter_id
    WHERE m.id = :meter_id AND (
        :staff
        OR EXISTS (SELECT 1 FROM account_link AS l WHERE l.account_id = m.account_id AND l.customer_id = :viewer)
        OR EXISTS (
            SELECT 1 FROM delivery_point AS dp JOIN contract_link AS cl ON cl.contract_id = dp.contract_id
            WHERE dp.id = m.delivery_point_id AND cl.customer_id = :viewer
        )
    )
    """
)


async def visible_point(*, db: Database, viewer_id: int, role: Role, meter_id: int) -> ExportPoint | None:
    """The smart meter's metering point if the viewer may see the meter; None for a missing, not smart or
    another customer's meter alike."""
    async with db.session() as session:
        connection = await session.connection()
        row = (
            await connection.execute(_VISIBLE, {"meter_id": meter_id, "staff": role in _STAFF, "viewer": viewer_id})
        ).first()
    return None if row is None else ExportPoint(point_id=row.id, meter_id=row.meter_id, code=row.code)


def day_range(first: date, end: date) -> tuple[datetime, datetime]:
    """Instants of local midnight of `first` and of `end` (exclusive)."""
    return datetime.combine(first, time(), tzinfo=LOCAL_TZ), datetime.combine(end, time(), tzinfo=LOCAL_TZ)


async def _stream(db: Database, sql: str, params: dict[str, Any]) -> AsyncIterator[Any]:
    async with db.connection() as connection:
        result = await connection.stream(sa.text(sql), params)
        async for row in result:
            yield row


HOUR_HEADER = ("hour_start", "a_plus_wh", "a_minus_wh", "r_plus_varh", "r_minus_varh")
REGISTER_HEADER = ("day", "scale", "a_plus_wh", "a_minus_wh", "r_plus_varh", "r_minus_varh")
EVENT_HEADER = ("occurred_at", "category", "code", "description")


async def hours_csv(*, db: Database, point_id: int, since: datetime, until: datetime) -> AsyncIterator[str]:
    """Stored hours in [since, until); hour_start in Moscow time with its offset."""
    rows = _stream(
        db,
        "SELECT hour, a_plus_wh, a_minus_wh, r_plus_varh, r_minus_varh FROM isu_hourly_profile"
        " WHERE metering_point_id = :point AND hour >= :since AND hour < :until ORDER BY hour",
        {"point": point_id, "since": since, "until": until},
    )
    yield next(csv_lines(HOUR_HEADER, []))
    async for row in rows:
        yield _line([row.hour.astimezone(LOCAL_TZ).isoformat(), *row[1:]])


async def registers_csv(*, db: Database, point_id: int, first: date, end: date) -> AsyncIterator[str]:
    rows = _stream(
        db,
        "SELECT day, scale, a_plus_wh, a_minus_wh, r_plus_varh, r_minus_varh FROM isu_daily_register"
        " WHERE metering_point_id = :point AND day >= :first AND day < :end ORDER BY day, scale",
        {"point": point_id, "first": first, "end": end},
    )
    yield next(csv_lines(REGISTER_HEADER, []))
    async for row in rows:
        yield _line([row.day.isoformat(), *row[1:]])


async def events_csv(*, db: Database, point_id: int, since: datetime, until: datetime) -> AsyncIterator[str]:
    rows = _stream(
        db,
        "SELECT occurred_at, category, code, description FROM isu_event"
        " WHERE metering_point_id = :point AND occurred_at >= :since AND occurred_at < :until ORDER BY occurred_at, id",
        {"point": point_id, "since": since, "until": until},
    )
    yield next(csv_lines(EVENT_HEADER, []))
    async for row in rows:
        yield _line([row.occurred_at.astimezone(LOCAL_TZ).isoformat(), *row[1:]])


def _line(values: list[object]) -> str:
    lines = csv_lines([], [values])
    next(lines)  # the empty header
    return next(lines)


@dataclass(frozen=True, slots=True)
class _Channel:
    column: str
    title: str
    flow_direction: int  # ESPI FlowDirectionKind: 1 forward (delivered to the customer), 19 reverse
    uom: int  # ESPI UnitSymbolKind: 72 Wh, 73 VArh


CHANNELS = (
    _Channel("a_plus_wh", "A+ активная энергия, приём", 1, 72),
    _Channel("a_minus_wh", "A− активная энергия, отдача", 19, 72),
    _Channel("r_plus_varh", "R+ реактивная энергия, приём", 1, 73),
    _Channel("r_minus_varh", "R− реактивная энергия, отдача", 19, 73),
)


def _urn(*parts: object) -> str:
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, '/'.join(str(part) for part in parts))}"


def _entry(*, entry_id: str, title: str, self_href: str, related: list[str], updated: str, content: str) -> str:
    links = "".join(f'<link rel="related" href={quoteattr(href)}/>' for href in related)
    return (
        f'<entry><id>{entry_id}</id><link rel="self" href={quoteattr(self_href)}/>{links}'
        f"<title>{escape(title)}</title><published>{updated}</published><updated>{updated}</updated>"
        f"<content>{content}</content></entry>\n"
    )


async def espi_xml(
    *, db: Database, point: ExportPoint, since: datetime, until: datetime, base_url: str, now: datetime
) -> AsyncIterator[str]:
    """A Green Button Atom feed: the UsagePoint, then per channel its MeterReading, ReadingType and the hourly
    IntervalReadings (one IntervalBlock per local day), values in Wh / VArh, times as UTC epoch seconds."""
    updated = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    usage_point = f"{base_url}/espi/1_1/resource/UsagePoint/{point.point_id}"
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<feed xmlns="{ATOM_NAMESPACE}" xmlns:espi="{ESPI_NAMESPACE}">'
        f"<id>{_urn('feed', point.point_id, since.isoformat(), until.isoformat())}</id>"
        f"<title>{escape(f'ИСУ: точка учёта {point.code}')}</title><updated>{updated}</updated>\n"
    )
    yield _entry(
        entry_id=_urn("UsagePoint", point.point_id),
        title=f"Точка учёта {point.code}",
        self_href=usage_point,
        related=[f"{usage_point}/MeterReading"],
        updated=updated,
        # ServiceCategory kind 0: electricity
        content="<espi:UsagePoint><espi:ServiceCategory><espi:kind>0</espi:kind></espi:ServiceCategory>"
        "</espi:UsagePoint>",
    )
    for index, channel in enumerate(CHANNELS, start=1):
        reading = f"{usage_point}/MeterReading/{index}"
        reading_type = f"{base_url}/espi/1_1/resource/ReadingType/{index}"
        yield _entry(
            entry_id=_urn("MeterReading", point.point_id, index),
            title=channel.title,
            self_href=reading,
            related=[f"{reading}/IntervalBlock", reading_type],
            updated=updated,
            content="<espi:MeterReading/>",
        )
        yield _entry(
            entry_id=_urn("ReadingType", index),
            title=channel.title,
            self_href=reading_type,
            related=[],
            updated=updated,
            # deltaData (4) of electricity (1), normal quality (12), energy (12), phases ABC to N (769), hourly
            content="<espi:ReadingType><espi:accumulationBehaviour>4</espi:accumulationBehaviour>"
            "<espi:commodity>1</espi:commodity><espi:dataQualifier>12</espi:dataQualifier>"
            f"<espi:flowDirection>{channel.flow_direction}</espi:flowDirection>"
            "<espi:intervalLength>3600</espi:intervalLength><espi:kind>12</espi:kind><espi:phase>769</espi:phase>"
            "<espi:powerOfTenMultiplier>0</espi:powerOfTenMultiplier><espi:timeAttribute>0</espi:timeAttribute>"
            f"<espi:uom>{channel.uom}</espi:uom></espi:ReadingType>",
        )
        yield (
            f"<entry><id>{_urn('IntervalBlock', point.point_id, index, since.isoformat())}</id>"
            f'<link rel="self" href={quoteattr(f"{reading}/IntervalBlock/1")}/>'
            f'<link rel="up" href={quoteattr(f"{reading}/IntervalBlock")}/>'
            f"<title>{escape(channel.title)}</title><published>{updated}</published><updated>{updated}</updated>"
            "<content>"
        )
        async for block in _interval_blocks(db, point.point_id, channel.column, since, until):
            yield block
        yield "</content></entry>\n"
    yield "</feed>\n"


async def _interval_blocks(
    db: Database, point_id: int, column: str, since: datetime, until: datetime
) -> AsyncIterator[str]:
    rows = _stream(
        db,
        f"SELECT hour, {column} AS value FROM isu_hourly_profile"
        " WHERE metering_point_id = :point AND hour >= :since AND hour < :until ORDER BY hour",
        {"point": point_id, "since": since, "until": until},
    )
    day: date | None = None
    readings: list[str] = []
    async for row in rows:
        local_day = row.hour.astimezone(LOCAL_TZ).date()
        if local_day != day:
            if day is not None:
                yield _block(day, readings)
            day, readings = local_day, []
        readings.append(
            f"<espi:IntervalReading><espi:timePeriod><espi:duration>3600</espi:duration>"
            f"<espi:start>{int(row.hour.timestamp())}</espi:start></espi:timePeriod>"
            f"<espi:value>{row.value}</espi:value></espi:IntervalReading>"
        )
    if day is not None:
        yield _block(day, readings)


def _block(day: date, readings: list[str]) -> str:
    start, end = day_range(day, day + timedelta(days=1))
    return (
        f"<espi:IntervalBlock><espi:interval><espi:duration>{int((end - start).total_seconds())}</espi:duration>"
        f"<espi:start>{int(start.timestamp())}</espi:start></espi:interval>{''.join(readings)}</espi:IntervalBlock>"
    )

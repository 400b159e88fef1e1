"""Smart-meter (ИСУ) data: one statement per relation for all metering points of a request.

Time series come back columnar (a list per channel aligned to the steps from a start), never as an object per hour:
an object per point is what makes a year of hours slow (DESIGN.md §6).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from loaders.base import Loader, Query, by_key
from loaders.pages import PageArgs, after_keyset, first_per_parent, table_of
from models import IsuDailyRegister, IsuEvent, IsuHourlyProfile, IsuPowerExtreme, MeteringPoint
from models.enums import IsuEventCategory, TariffScale
from services.platform.clock import LOCAL_TZ

POINT = table_of(MeteringPoint)
DAILY = table_of(IsuDailyRegister)
HOURLY = table_of(IsuHourlyProfile)
EXTREME = table_of(IsuPowerExtreme)
EVENT = table_of(IsuEvent)

HOUR = timedelta(hours=1)
CHANNELS = ("a_plus_wh", "a_minus_wh", "r_plus_varh", "r_minus_varh")
Column = list[int | None]


# A fixed text (prepared once per connection): the point is read before every series of a meter, and compiling a
# Core select here cost more than the statement itself.
_POINT_BY_METER = Query.of("SELECT * FROM metering_point WHERE meter_id = ANY($1::bigint[])", POINT)


class MeteringPointByMeter(Loader[int, Any]):
    async def batch_load_fn(self, meter_ids: list[int]) -> list[Any]:
        return by_key(meter_ids, await self.fetch(_POINT_BY_METER, meter_ids), "meter_id")


@dataclass(frozen=True, slots=True)
class Profile:
    """Energy per hour from `start`: one list per channel, None where the head-end sent nothing for an hour."""

    start: datetime
    channels: dict[str, Column]


HourlyKey = tuple[int, datetime, int]  # (metering point id, first hour, number of hours)


# The hours of each key from generate_series, left-joined to the profile: PostgreSQL aligns the lists (null for a
# missing hour) and hands back four arrays per key. Measured on a year of hours: ~9 ms, against ~14 ms for Core rows
# turned into lists in Python and ~12 ms for array_agg of the stored rows aligned in Python.
_PROFILE_SQL = sa.text(
    """
    SELECT key.position, profile.*
    FROM unnest(:points, :starts, :hours) WITH ORDINALITY AS key(point, start, hours, position)
    CROSS JOIN LATERAL (
        SELECT array_agg(h.a_plus_wh ORDER BY at) AS a_plus_wh,
               array_agg(h.a_minus_wh ORDER BY at) AS a_minus_wh,
               array_agg(h.r_plus_varh ORDER BY at) AS r_plus_varh,
               array_agg(h.r_minus_varh ORDER BY at) AS r_minus_varh
        FROM generate_series(key.start, key.start + (key.hours - 1) * interval '1 hour', interval '1 hour') AS at
        LEFT JOIN isu_hourly_profile AS h
            ON h.metering_point_id = key.point
            AND h.hour = at
            -- the range again, so that the primary key's index is scanned for this range only
            AND h.hour >= key.start
            AND h.hour < key.start + key.hours * interval '1 hour'
    ) AS profile
    """
).bindparams(
    sa.bindparam("points", type_=ARRAY(sa.BigInteger)),
    sa.bindparam("starts", type_=ARRAY(sa.DateTime(timezone=True))),
    sa.bindparam("hours", type_=ARRAY(sa.Integer)),
)


class HourlyProfileByPoint(Loader[HourlyKey, Profile]):
    async def batch_load_fn(self, keys: list[HourlyKey]) -> list[Profile]:
        statement = _PROFILE_SQL.bindparams(
            points=[point for point, _, _ in keys],
            starts=[start for _, start, _ in keys],
            hours=[hours for _, _, hours in keys],
        )
        by_position = {row.position: row for row in await self.rows(statement)}
        return [
            Profile(start=start, channels={name: getattr(by_position[index], name) for name in CHANNELS})
            for index, (_, start, _) in enumerate(keys, start=1)
        ]


@dataclass(frozen=True, slots=True)
class Registers:
    """Registers at 00:00 of each day from `start`, per scale: one list per channel aligned to the days."""

    start: date
    days: int
    scales: dict[TariffScale, dict[str, Column]]


DailyKey = tuple[int, date, date, TariffScale | None]  # (metering point id, first day, last day, one scale or all)


class DailyRegistersByPoint(Loader[DailyKey, Registers]):
    async def batch_load_fn(self, keys: list[DailyKey]) -> list[Registers]:
        statement = (
            sa.select(DAILY.c.metering_point_id, DAILY.c.day, DAILY.c.scale, *(DAILY.c[name] for name in CHANNELS))
            .where(
                DAILY.c.metering_point_id.in_({point for point, _, _, _ in keys}),
                DAILY.c.day.between(min(key[1] for key in keys), max(key[2] for key in keys)),
            )
            .order_by(DAILY.c.metering_point_id, DAILY.c.day)
        )
        scales = {scale for _, _, _, scale in keys}
        if None not in scales:
            statement = statement.where(DAILY.c.scale.in_(scales))
        by_point: defaultdict[int, list[Any]] = defaultdict(list)
        for row in await self.rows(statement):
            by_point[row.metering_point_id].append(row)
        return [_registers(by_point.get(key[0], []), *key[1:]) for key in keys]


def _registers(rows: Sequence[Any], first: date, last: date, scale: TariffScale | None) -> Registers:
    days = (last - first).days + 1
    found: dict[TariffScale, list[Column]] = {}
    for _, day, row_scale, *values in rows:
        index = (day - first).days
        if not 0 <= index < days or (scale is not None and row_scale != scale):
            continue
        columns = found.get(row_scale)
        if columns is None:
            columns = found[row_scale] = [[None] * days for _ in CHANNELS]
        for column, value in zip(columns, values, strict=True):
            column[index] = value
    if scale is not None and scale not in found:
        found[scale] = [[None] * days for _ in CHANNELS]
    # TOTAL first, then the tariff scales in order.
    return Registers(
        start=first,
        days=days,
        scales={each: dict(zip(CHANNELS, found[each], strict=True)) for each in TariffScale if each in found},
    )


ExtremesKey = tuple[int, date, date]  # (metering point id, first month, last month)


class PowerExtremesByPoint(Loader[ExtremesKey, list[Any]]):
    async def batch_load_fn(self, keys: list[ExtremesKey]) -> list[list[Any]]:
        rows = await self.rows(
            sa.select(*EXTREME.c)
            .where(
                EXTREME.c.metering_point_id.in_({point for point, _, _ in keys}),
                EXTREME.c.period.between(min(key[1] for key in keys), max(key[2] for key in keys)),
            )
            .order_by(EXTREME.c.metering_point_id, EXTREME.c.period, EXTREME.c.quantity, EXTREME.c.kind)
        )
        return [
            [row for row in rows if row.metering_point_id == point and first <= row.period <= last]
            for point, first, last in keys
        ]


@dataclass(frozen=True, slots=True)
class EventFilter:
    page: PageArgs
    since: datetime | None = None
    until: datetime | None = None
    category: IsuEventCategory | None = None


EventsKey = tuple[int, EventFilter]


class EventPagesByPoint(Loader[EventsKey, list[Any]]):
    """The journal («Журнал»), newest first; the cursor is (occurred_at, id). One statement per distinct filter."""

    async def batch_load_fn(self, keys: list[EventsKey]) -> list[list[Any]]:
        points_by_filter: defaultdict[EventFilter, list[int]] = defaultdict(list)
        for point, event_filter in keys:
            points_by_filter[event_filter].append(point)
        pages: dict[EventsKey, list[Any]] = {}
        for event_filter, points in points_by_filter.items():
            order = (EVENT.c.occurred_at, EVENT.c.id)
            statement = sa.select(*EVENT.c).where(
                EVENT.c.metering_point_id.in_(points), after_keyset(order, event_filter.page.after)
            )
            if event_filter.since is not None:
                statement = statement.where(EVENT.c.occurred_at >= event_filter.since)
            if event_filter.until is not None:
                statement = statement.where(EVENT.c.occurred_at < event_filter.until)
            if event_filter.category is not None:
                statement = statement.where(EVENT.c.category == event_filter.category)
            ranked = first_per_parent(
                statement,
                parent=EVENT.c.metering_point_id,
                order_by=[column.desc() for column in order],
                limit=event_filter.page.first + 1,
            )
            for row in await self.rows(ranked):
                pages.setdefault((row.parent, event_filter), []).append(row)
        return [pages.get(key, []) for key in keys]


class Resolution(StrEnum):
    """The step of a series; days and months are local (Europe/Moscow) days and months."""

    HOUR = "HOUR"
    DAY = "DAY"
    MONTH = "MONTH"


_STEP = {Resolution.HOUR: "1 hour", Resolution.DAY: "1 day", Resolution.MONTH: "1 month"}
_LOCAL = "'Europe/Moscow'"  # services.platform.clock.LOCAL_TZ as PostgreSQL names it


def align(moment: datetime, resolution: Resolution) -> datetime:
    """The start of the step `moment` falls in, as a UTC instant."""
    if resolution is Resolution.HOUR:
        return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    local = moment.astimezone(LOCAL_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    if resolution is Resolution.MONTH:
        local = local.replace(day=1)
    return local.astimezone(UTC)


def steps_between(start: datetime, end: datetime, resolution: Resolution) -> int:
    """How many steps from `start` (aligned) it takes to cover [start, end): a step cut by `end` counts."""
    if resolution is Resolution.HOUR:
        return max(0, -((start - end) // HOUR))
    first, last = start.astimezone(LOCAL_TZ), end.astimezone(LOCAL_TZ)
    at_midnight = last.time() == time()
    if resolution is Resolution.DAY:
        steps = (last.date() - first.date()).days + (0 if at_midnight else 1)
    else:
        steps = (last.year - first.year) * 12 + last.month - first.month + (0 if at_midnight and last.day == 1 else 1)
    return max(0, steps)


@dataclass(frozen=True, slots=True)
class PackedSeries:
    """A series as JSON arrays made by PostgreSQL, one text per channel, to be embedded in the response as it is
    (orjson.Fragment): no list of numbers is built in Python, and GraphQL completes one value per channel.

    Entry i is the step starting at `start` + i steps: an hour's energy, or the sum of the stored hours of a day or
    a month (null where none is stored); `hours` says how many hours each entry holds (24 for a full day)."""

    start: datetime
    resolution: Resolution
    length: int
    channels: dict[str, str]
    hours: str


SeriesKey = tuple[int, datetime, int, Resolution]  # (metering point id, aligned start, number of steps, resolution)


_KEYS = "unnest($1::bigint[], $2::timestamptz[], $3::int[]) WITH ORDINALITY AS key(point, start, n, position)"
_IN_RANGE = "h.metering_point_id = key.point AND h.hour >= key.start AND h.hour < key.start + key.n * interval '1 hour'"
_JSON_VALUES = ", ".join(f"coalesce(json_agg({name})::text, '[]') AS {name}" for name in CHANNELS)
_CHANNEL_LIST = ", ".join(CHANNELS)

# Hours, in one pass over the stored rows of each range (read in index order, json_agg over them costs about what
# reading them does), counted on the way. When every hour is stored (the usual case) those arrays are the series and
# `hours` is all ones, made in Python; only a range with gaps takes the join with generate_series that puts a null
# into each missing hour (several times slower on a year). The gap branch's WHERE is applied before its LATERAL.
_HOURS_SQL = f"""
WITH stored AS MATERIALIZED (
    SELECT key.position, key.point, key.start, key.n, found.*
    FROM {_KEYS}
    CROSS JOIN LATERAL (
        SELECT count(*) AS stored, {_JSON_VALUES}
        FROM (SELECT {_CHANNEL_LIST} FROM isu_hourly_profile AS h WHERE {_IN_RANGE} ORDER BY h.hour) AS ordered
    ) AS found
)
SELECT position, {_CHANNEL_LIST}, NULL::text AS hours FROM stored WHERE stored = n
UNION ALL
SELECT stored.position, series.*
FROM stored CROSS JOIN LATERAL (
    SELECT {_JSON_VALUES}, coalesce(json_agg(CASE WHEN hour IS NULL THEN 0 ELSE 1 END)::text, '[]') AS hours
    FROM (
        SELECT h.* FROM generate_series(0, stored.n - 1) AS b(i)
        LEFT JOIN isu_hourly_profile AS h
            ON h.metering_point_id = stored.point AND h.hour = stored.start + b.i * interval '1 hour'
            AND h.hour >= stored.start AND h.hour < stored.start + stored.n * interval '1 hour'
        ORDER BY b.i
    ) AS aligned
) AS series
WHERE stored.stored <> stored.n
"""


def _series_sql(resolution: Resolution) -> Query:
    if resolution is Resolution.HOUR:
        return Query.of(_HOURS_SQL)
    step = f"interval '{_STEP[resolution]}'"
    sums = ", ".join(f"sum(h.{name})::bigint AS {name}" for name in CHANNELS)
    return Query.of(f"""
        SELECT key.position, series.*
        FROM {_KEYS}
        CROSS JOIN LATERAL (
            SELECT {_JSON_VALUES}, coalesce(json_agg(hours)::text, '[]') AS hours
            FROM (
                SELECT v.* FROM generate_series(0, key.n - 1) AS b(i)
                CROSS JOIN LATERAL (
                    SELECT ((key.start AT TIME ZONE {_LOCAL}) + b.i * {step}) AT TIME ZONE {_LOCAL} AS since,
                        ((key.start AT TIME ZONE {_LOCAL}) + (b.i + 1) * {step}) AT TIME ZONE {_LOCAL} AS until
                ) AS bucket
                CROSS JOIN LATERAL (
                    SELECT {sums}, count(*) AS hours FROM isu_hourly_profile AS h
                    WHERE h.metering_point_id = key.point AND h.hour >= bucket.since AND h.hour < bucket.until
                ) AS v
                ORDER BY b.i
            ) AS buckets
        ) AS series
        """)


_SERIES_SQL = {resolution: _series_sql(resolution) for resolution in Resolution}


@lru_cache(maxsize=16)
def _every_hour(count: int) -> str:
    """`hours` of a range with every hour stored: a one per step."""
    return "[" + ",".join("1" * count) + "]" if count else "[]"


class PackedSeriesByPoint(Loader[SeriesKey, PackedSeries]):
    """A profile at a resolution, aggregated in SQL; one statement per resolution among the keys."""

    async def batch_load_fn(self, keys: list[SeriesKey]) -> list[PackedSeries]:
        found: dict[SeriesKey, PackedSeries] = {}
        for resolution in {key[3] for key in keys}:
            chosen = [key for key in keys if key[3] is resolution]
            rows = await self.fetch(
                _SERIES_SQL[resolution],
                [point for point, _, _, _ in chosen],
                [start for _, start, _, _ in chosen],
                [count for _, _, count, _ in chosen],
            )
            for row in rows:
                _, start, count, _ = key = chosen[row.position - 1]
                found[key] = PackedSeries(
                    start=start,
                    resolution=resolution,
                    length=count,
                    channels={name: row[name] for name in CHANNELS},
                    hours=row["hours"] if row["hours"] is not None else _every_hour(count),
                )
        return [found[key] for key in keys]

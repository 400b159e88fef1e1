"""Head-end ingest (ИСУ): hourly profiles, daily registers per scale, power extremes and journal entries, in batches.

A batch is checked row by row in Python for what a row alone can tell (known metering point, scale, quantity and
category; whole hours; nothing in the future by the injected clock), then COPYed into temporary staging tables and
compared with what is stored in a few set-based statements: a row equal to a stored one is a duplicate, a row that
differs from a stored one (or from an earlier row of the same batch) is refused, a register below the day before or
above the day after is refused, the rest is inserted with ON CONFLICT DO NOTHING. So a resent batch changes nothing,
and bad rows are refused with their reasons while the good ones are kept. Gaps in the hourly profile around the
batch's hours are recomputed and recorded (`isu_profile_gap`).

The batch id is remembered with its report: the same id from the same sender answers the stored report and looks at
nothing. Batches are serialized by a transaction-level advisory lock, so two head-end calls never race on a row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import orjson
import sqlalchemy as sa

from models.enums import ExtremeKind, IsuEventCategory, PowerQuantity, TariffScale
from services.errors import DomainError, ErrorCode
from services.integrations.service_tokens import ISU_WRITE, ServicePrincipal, require_scope
from services.isu.records import (
    CHANNELS,
    MESSAGES,
    Batch,
    EventRecord,
    ExtremeRecord,
    HourRecord,
    RecordKind,
    Refusal,
    RefusalCode,
    RegisterRecord,
)
from services.platform.clock import LOCAL_TZ, Clock
from services.platform.database import Database

MAX_BATCH_ROWS = 100_000
MAX_LISTED_REFUSALS = 1000
HOUR = timedelta(hours=1)
BIGINT_LIMIT = 2**63
INTEGER_LIMIT = 2**31
MAX_DESCRIPTION = 300
# pg_advisory_xact_lock key of the ingest: "ISU" in ASCII.
_LOCK_KEY = 0x495355

_SCALES = frozenset(scale.value for scale in TariffScale)
_QUANTITIES = frozenset(quantity.value for quantity in PowerQuantity)
_EXTREME_KINDS = frozenset(kind.value for kind in ExtremeKind)
_CATEGORIES = frozenset(category.value for category in IsuEventCategory)


class _Driver(Protocol):
    """The part of asyncpg's connection used here (asyncpg ships no type hints)."""

    async def execute(self, query: str, *args: Any) -> str: ...

    async def fetch(self, query: str, *args: Any) -> list[Any]: ...

    async def copy_records_to_table(
        self, table_name: str, *, records: Iterable[tuple[Any, ...]], columns: Iterable[str]
    ) -> str: ...


@dataclass(frozen=True, slots=True)
class _Target:
    """A stored table, its staging twin, the key a row is identified by and the values a duplicate must repeat."""

    kind: RecordKind
    table: str
    key: tuple[tuple[str, str], ...]  # (column, SQL type) after metering_point_id
    values: tuple[tuple[str, str], ...]

    @property
    def stage(self) -> str:
        return f"isu_stage_{self.kind.value.lower()}"

    @property
    def key_columns(self) -> tuple[str, ...]:
        return ("metering_point_id", *(name for name, _ in self.key))

    @property
    def value_columns(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.values)

    @property
    def stage_columns(self) -> tuple[str, ...]:
        return ("line", *self.key_columns, *self.value_columns)


_CHANNEL_TYPES = tuple((name, "bigint") for name in CHANNELS)
HOURS = _Target(RecordKind.HOUR, "isu_hourly_profile", (("hour", "timestamptz"),), _CHANNEL_TYPES)
REGISTERS = _Target(RecordKind.REGISTER, "isu_daily_register", (("day", "date"), ("scale", "text")), _CHANNEL_TYPES)
EXTREMES = _Target(
    RecordKind.EXTREME,
    "isu_power_extreme",
    (("period", "date"), ("quantity", "text"), ("kind", "text")),
    (("value", "integer"), ("occurred_at", "timestamptz")),
)
EVENTS = _Target(
    RecordKind.EVENT,
    "isu_event",
    (("occurred_at", "timestamptz"), ("category", "text"), ("code", "integer")),
    (("description", "text"),),
)


@dataclass(slots=True)
class KindCounts:
    accepted: int = 0
    duplicate: int = 0
    refused: int = 0


@dataclass(frozen=True, slots=True)
class RefusedRow:
    line: int
    record: RecordKind | None
    code: RefusalCode
    message: str


@dataclass(frozen=True, slots=True)
class Gap:
    """Hours [start, end) of a metering point with no profile, between hours that have one."""

    point: str
    start: datetime
    end: datetime


@dataclass(slots=True)
class IngestReport:
    batch_id: str
    repeated: bool = False  # the batch id was received before: this is the report it got then, nothing was looked at
    counts: dict[RecordKind, KindCounts] = field(default_factory=lambda: {kind: KindCounts() for kind in RecordKind})
    unreadable: int = 0  # lines that are not a record of a known type
    refusals: list[RefusedRow] = field(default_factory=list)  # the first MAX_LISTED_REFUSALS, in line order
    gaps: list[Gap] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(counts.accepted for counts in self.counts.values())

    @property
    def duplicate(self) -> int:
        return sum(counts.duplicate for counts in self.counts.values())

    @property
    def refused(self) -> int:
        return sum(counts.refused for counts in self.counts.values()) + self.unreadable

    def to_json(self) -> dict[str, Any]:
        return {
            "batchId": self.batch_id,
            "repeated": self.repeated,
            "counts": {
                kind.value: {"accepted": c.accepted, "duplicate": c.duplicate, "refused": c.refused}
                for kind, c in self.counts.items()
            },
            "unreadable": self.unreadable,
            "refusals": [
                {
                    "line": row.line,
                    "record": row.record.value if row.record else None,
                    "code": row.code.value,
                    "message": row.message,
                }
                for row in self.refusals
            ],
            "gaps": [
                {"point": gap.point, "start": gap.start.isoformat(), "end": gap.end.isoformat()} for gap in self.gaps
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, repeated: bool) -> IngestReport:
        return cls(
            batch_id=data["batchId"],
            repeated=repeated,
            counts={RecordKind(kind): KindCounts(**counts) for kind, counts in data["counts"].items()},
            unreadable=data["unreadable"],
            refusals=[
                RefusedRow(
                    line=row["line"],
                    record=RecordKind(row["record"]) if row["record"] else None,
                    code=RefusalCode(row["code"]),
                    message=row["message"],
                )
                for row in data["refusals"]
            ],
            gaps=[
                Gap(
                    point=gap["point"],
                    start=datetime.fromisoformat(gap["start"]),
                    end=datetime.fromisoformat(gap["end"]),
                )
                for gap in data["gaps"]
            ],
        )


async def ingest_batch(
    *, db: Database, clock: Clock, principal: ServicePrincipal, sender: str, batch_id: str, batch: Batch
) -> IngestReport:
    """Store what is new and valid in `batch` (`isu:write`); answer what was accepted, duplicate and refused (with
    reasons). `sender` names the batches' namespace: the token's id over HTTP, the operator's choice on the command
    line."""
    require_scope(principal, ISU_WRITE)
    if not batch_id.strip() or len(batch_id) > 100:
        raise DomainError.single(ErrorCode.INVALID_INPUT, "Идентификатор пакета: от 1 до 100 символов", "batchId")
    if len(batch) > MAX_BATCH_ROWS:
        raise DomainError.single(
            ErrorCode.INVALID_INPUT, f"Не больше {MAX_BATCH_ROWS} строк в пакете; разделите его", "rows"
        )
    now = clock.now()
    async with db.session() as session:
        connection = await session.connection()
        # The first statement through SQLAlchemy begins the transaction the raw driver's statements then join.
        await connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        raw = await connection.get_raw_connection()
        driver: _Driver = raw.driver_connection  # type: ignore[assignment]
        stored = await driver.fetch(
            "INSERT INTO isu_ingest_batch (sender, external_id, received_at, report) VALUES ($1, $2, $3, '{}')"
            " ON CONFLICT (sender, external_id) DO NOTHING RETURNING id",
            sender,
            batch_id,
            now,
        )
        if not stored:
            previous = await driver.fetch(
                "SELECT report::text FROM isu_ingest_batch WHERE sender = $1 AND external_id = $2", sender, batch_id
            )
            return IngestReport.from_json(orjson.loads(previous[0]["report"]), repeated=True)
        report = await _ingest(driver, batch=batch, batch_id=batch_id, now=now)
        await driver.execute(
            "UPDATE isu_ingest_batch SET report = $2::jsonb WHERE id = $1",
            stored[0]["id"],
            orjson.dumps(report.to_json()).decode(),
        )
        await session.commit()
    return report


async def _ingest(driver: _Driver, *, batch: Batch, batch_id: str, now: datetime) -> IngestReport:
    every = (batch.hours, batch.registers, batch.extremes, batch.events)
    codes = {record.point for records in every for record in records}
    points: dict[str, int] = {
        row["code"]: row["id"]
        # Locked as a foreign key would lock them, once per batch: the hourly profile has no per-row check (isu_0005).
        for row in await driver.fetch(
            "SELECT id, code FROM metering_point WHERE code = ANY($1::text[]) ORDER BY id FOR KEY SHARE", list(codes)
        )
    }
    refusals: list[Refusal] = list(batch.refused)
    staged = {
        HOURS: _stage_hours(batch.hours, points, now, refusals),
        REGISTERS: _stage_registers(batch.registers, points, now, refusals),
        EXTREMES: _stage_extremes(batch.extremes, points, now, refusals),
        EVENTS: _stage_events(batch.events, points, now, refusals),
    }
    report = IngestReport(batch_id=batch_id)
    for target, rows in staged.items():
        unique, repeated = _first_of_each_key(target, rows, refusals)
        report.counts[target.kind].duplicate += repeated
        if unique:
            accepted, duplicates = await _store(driver, target, unique, refusals)
            report.counts[target.kind].accepted += accepted
            report.counts[target.kind].duplicate += duplicates
    if staged[HOURS]:
        names = {point_id: code for code, point_id in points.items()}
        report.gaps = [
            Gap(point=names[row["metering_point_id"]], start=row["gap_start"], end=row["gap_end"])
            for row in await _record_gaps(driver, now)
        ]
    refusals.sort(key=lambda refusal: refusal.line)
    for refusal in refusals:
        if refusal.record is None:
            report.unreadable += 1
        else:
            report.counts[refusal.record].refused += 1
    report.refusals = [
        RefusedRow(line=refusal.line, record=refusal.record, code=refusal.code, message=MESSAGES[refusal.code])
        for refusal in refusals[:MAX_LISTED_REFUSALS]
    ]
    return report


def _channels_ok(values: Sequence[int]) -> bool:
    return all(0 <= value < BIGINT_LIMIT for value in values)


def _hour_problem(hour: datetime, now: datetime) -> RefusalCode | None:
    if hour.tzinfo is None:
        return RefusalCode.BAD_TIME
    if hour.minute or hour.second or hour.microsecond or hour.astimezone(UTC).minute:
        return RefusalCode.NOT_ON_THE_HOUR
    if hour + HOUR > now:  # an hour is known once it has ended
        return RefusalCode.FUTURE
    return None


def _stage_hours(
    records: Sequence[HourRecord], points: dict[str, int], now: datetime, refusals: list[Refusal]
) -> list[tuple[Any, ...]]:
    rows = []
    kind = RecordKind.HOUR
    hour_problems: dict[datetime, RefusalCode | None] = {}  # the same hours come for every point
    limit = BIGINT_LIMIT
    for line, code, hour, a_plus, a_minus, r_plus, r_minus in records:
        point = points.get(code)
        if hour in hour_problems:
            problem = hour_problems[hour]
        else:
            problem = hour_problems[hour] = _hour_problem(hour, now)
        if point is None:
            refusals.append(Refusal(line, kind, RefusalCode.UNKNOWN_POINT))
        elif problem is not None:
            refusals.append(Refusal(line, kind, problem))
        elif 0 <= a_plus < limit and 0 <= a_minus < limit and 0 <= r_plus < limit and 0 <= r_minus < limit:
            rows.append((line, point, hour, a_plus, a_minus, r_plus, r_minus))
        else:
            refusals.append(Refusal(line, kind, RefusalCode.BAD_NUMBER))
    return rows


def _stage_registers(
    records: Sequence[RegisterRecord], points: dict[str, int], now: datetime, refusals: list[Refusal]
) -> list[tuple[Any, ...]]:
    rows = []
    kind = RecordKind.REGISTER
    today = now.astimezone(LOCAL_TZ).date()  # registers are taken at 00:00 local time
    for line, code, day, scale, *channels in records:
        point = points.get(code)
        if point is None:
            refusals.append(Refusal(line, kind, RefusalCode.UNKNOWN_POINT))
        elif scale not in _SCALES:
            refusals.append(Refusal(line, kind, RefusalCode.UNKNOWN_SCALE))
        elif day > today:
            refusals.append(Refusal(line, kind, RefusalCode.FUTURE))
        elif not _channels_ok(channels):
            refusals.append(Refusal(line, kind, RefusalCode.BAD_NUMBER))
        else:
            rows.append((line, point, day, scale, *channels))
    return rows


def _stage_extremes(
    records: Sequence[ExtremeRecord], points: dict[str, int], now: datetime, refusals: list[Refusal]
) -> list[tuple[Any, ...]]:
    rows = []
    kind = RecordKind.EXTREME
    for line, code, period, quantity, extreme, value, occurred_at in records:
        point = points.get(code)
        if point is None:
            refusals.append(Refusal(line, kind, RefusalCode.UNKNOWN_POINT))
        elif quantity not in _QUANTITIES or extreme not in _EXTREME_KINDS:
            refusals.append(Refusal(line, kind, RefusalCode.UNKNOWN_QUANTITY))
        elif period.day != 1:
            refusals.append(Refusal(line, kind, RefusalCode.NOT_A_MONTH))
        elif occurred_at.tzinfo is None:
            refusals.append(Refusal(line, kind, RefusalCode.BAD_TIME))
        elif occurred_at > now:
            refusals.append(Refusal(line, kind, RefusalCode.FUTURE))
        elif _month(occurred_at.astimezone(LOCAL_TZ).date()) != period:
            refusals.append(Refusal(line, kind, RefusalCode.OUTSIDE_PERIOD))
        elif not 0 <= value < INTEGER_LIMIT:
            refusals.append(Refusal(line, kind, RefusalCode.BAD_NUMBER))
        else:
            rows.append((line, point, period, quantity, extreme, value, occurred_at))
    return rows


def _stage_events(
    records: Sequence[EventRecord], points: dict[str, int], now: datetime, refusals: list[Refusal]
) -> list[tuple[Any, ...]]:
    rows = []
    kind = RecordKind.EVENT
    for line, code, occurred_at, category, event_code, description in records:
        point = points.get(code)
        if point is None:
            refusals.append(Refusal(line, kind, RefusalCode.UNKNOWN_POINT))
        elif category not in _CATEGORIES:
            refusals.append(Refusal(line, kind, RefusalCode.UNKNOWN_CATEGORY))
        elif occurred_at.tzinfo is None:
            refusals.append(Refusal(line, kind, RefusalCode.BAD_TIME))
        elif occurred_at > now:
            refusals.append(Refusal(line, kind, RefusalCode.FUTURE))
        elif not 0 <= event_code < INTEGER_LIMIT:
            refusals.append(Refusal(line, kind, RefusalCode.BAD_NUMBER))
        elif not description.strip() or len(description) > MAX_DESCRIPTION:
            refusals.append(Refusal(line, kind, RefusalCode.BAD_DESCRIPTION))
        else:
            rows.append((line, point, occurred_at, category, event_code, description))
    return rows


def _month(day: date) -> date:
    return day.replace(day=1)


def _first_of_each_key(
    target: _Target, rows: list[tuple[Any, ...]], refusals: list[Refusal]
) -> tuple[list[tuple[Any, ...]], int]:
    """The first row of each key in the batch; a later row equal to it is a duplicate, a different one refused."""
    end = 1 + len(target.key_columns)  # rows are (line, metering_point_id, *key, *values)
    first: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    unique = []
    duplicates = 0
    for row in rows:
        key, values = row[1:end], row[end:]
        seen = first.get(key)
        if seen is None:
            first[key] = values
            unique.append(row)
        elif seen == values:
            duplicates += 1
        else:
            refusals.append(Refusal(row[0], target.kind, RefusalCode.CONFLICTS_IN_BATCH))
    return unique, duplicates


async def _store(
    driver: _Driver, target: _Target, rows: list[tuple[Any, ...]], refusals: list[Refusal]
) -> tuple[int, int]:
    """COPY `rows` (one per key) into the target's staging table, judge them against the stored rows, insert the
    new ones. Returns (accepted, duplicates); appends the refused rows to `refusals`."""
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in (*target.key, *target.values))
    await driver.execute(f"DROP TABLE IF EXISTS pg_temp.{target.stage}")
    await driver.execute(
        f"CREATE TEMP TABLE {target.stage} (line integer, metering_point_id bigint, {columns}) ON COMMIT DROP"
    )
    await driver.copy_records_to_table(target.stage, records=rows, columns=target.stage_columns)
    join = " AND ".join(f"t.{name} = s.{name}" for name in target.key_columns)
    values = target.value_columns
    stored_values = ", ".join(f"t.{name}" for name in values)
    stage_values = ", ".join(f"s.{name}" for name in values)
    verdicts = await driver.fetch(
        f"SELECT s.line, ({stage_values}) IS NOT DISTINCT FROM ({stored_values}) AS same"
        f" FROM {target.stage} AS s JOIN {target.table} AS t ON {join}"
    )
    judged: dict[int, RefusalCode | None] = {}  # None: a duplicate
    for line, same in verdicts:
        judged[line] = None if same else RefusalCode.CONFLICTS_WITH_STORED
    if target is REGISTERS:
        for row in await driver.fetch(_REGISTERS_WENT_BACK, list(judged)):
            judged[row["line"]] = RefusalCode.REGISTER_WENT_BACK
    inserted = await driver.execute(
        f"""
        INSERT INTO {target.table} ({", ".join((*target.key_columns, *values))})
        SELECT {", ".join(f"s.{name}" for name in (*target.key_columns, *values))}
        FROM {target.stage} AS s LEFT JOIN unnest($1::integer[]) AS judged(line) ON judged.line = s.line
        WHERE judged.line IS NULL
        ON CONFLICT ({", ".join(target.key_columns)}) DO NOTHING
        """,
        list(judged),
    )
    duplicates = 0
    for line, code in judged.items():
        if code is None:
            duplicates += 1
        else:
            refusals.append(Refusal(line, target.kind, code))
    return int(inserted.rsplit(" ", 1)[1]), duplicates


def _went_back_conditions() -> str:
    conditions = []
    for name in CHANNELS:
        conditions += [f"o.{name} < o.previous_{name}", f"o.{name} < before.{name}", f"o.{name} > after.{name}"]
    return " OR ".join(conditions)


# Cumulative registers never decrease (ГОСТ Р 58940-2020, the SPODES profile: energy registers are cumulative): a
# staged register below the nearest stored day before it, above the nearest stored day after it, or below the day
# before it in the same batch is refused. Rows already judged ($1) are left out.
_REGISTERS_WENT_BACK = f"""
WITH candidate AS (
    SELECT s.* FROM isu_stage_register AS s
    LEFT JOIN unnest($1::integer[]) AS judged(line) ON judged.line = s.line
    WHERE judged.line IS NULL
), ordered AS (
    SELECT c.*, {", ".join(f"lag({name}) OVER w AS previous_{name}" for name in CHANNELS)}
    FROM candidate AS c
    WINDOW w AS (PARTITION BY metering_point_id, scale ORDER BY day)
)
SELECT o.line FROM ordered AS o
LEFT JOIN LATERAL (
    SELECT * FROM isu_daily_register AS r
    WHERE r.metering_point_id = o.metering_point_id AND r.scale = o.scale AND r.day < o.day
    ORDER BY r.day DESC LIMIT 1
) AS before ON true
LEFT JOIN LATERAL (
    SELECT * FROM isu_daily_register AS r
    WHERE r.metering_point_id = o.metering_point_id AND r.scale = o.scale AND r.day > o.day
    ORDER BY r.day LIMIT 1
) AS after ON true
WHERE {_went_back_conditions()}
"""

# The hours of each staged point from the last stored hour before its first staged hour to the first stored hour
# after its last: the open gaps there are forgotten and found again, so that a gap a batch fills disappears.
_GAP_BOUNDS = """
WITH span AS (
    SELECT metering_point_id AS point, min(hour) AS lo, max(hour) AS hi FROM isu_stage_hour GROUP BY 1
), bounds AS (
    SELECT point,
        coalesce(
            (SELECT max(h.hour) FROM isu_hourly_profile AS h WHERE h.metering_point_id = point AND h.hour < lo), lo
        ) AS lo,
        coalesce(
            (SELECT min(h.hour) FROM isu_hourly_profile AS h WHERE h.metering_point_id = point AND h.hour > hi), hi
        ) AS hi
    FROM span
)
"""


async def _record_gaps(driver: _Driver, now: datetime) -> list[Any]:
    await driver.execute(
        _GAP_BOUNDS + "DELETE FROM isu_profile_gap AS g USING bounds AS b"
        " WHERE g.metering_point_id = b.point AND g.gap_start < b.hi AND g.gap_end > b.lo"
    )
    return await driver.fetch(
        _GAP_BOUNDS
        + """, found AS (
            -- per point, so that the primary key's index serves each range whatever the table's statistics say
            SELECT b.point AS metering_point_id, hours.gap_start, hours.gap_end
            FROM bounds AS b
            CROSS JOIN LATERAL (
                SELECT h.hour + interval '1 hour' AS gap_start, lead(h.hour) OVER (ORDER BY h.hour) AS gap_end
                FROM isu_hourly_profile AS h
                WHERE h.metering_point_id = b.point AND h.hour BETWEEN b.lo AND b.hi
            ) AS hours
        )
        INSERT INTO isu_profile_gap (metering_point_id, gap_start, gap_end, detected_at)
        SELECT metering_point_id, gap_start, gap_end, $1 FROM found WHERE gap_end > gap_start
        ON CONFLICT (metering_point_id, gap_start) DO UPDATE SET gap_end = excluded.gap_end
        RETURNING metering_point_id, gap_start, gap_end
        """,
        now,
    )


def summary_line(report: IngestReport) -> str:
    """One line per batch for people: accepted, duplicate, refused by reason."""
    reasons = Counter(row.code.value for row in report.refusals)
    refused = ", ".join(f"{code} {count}" for code, count in sorted(reasons.items()))
    repeated = " (received before)" if report.repeated else ""
    return (
        f"batch {report.batch_id}{repeated}: accepted {report.accepted}, duplicate {report.duplicate}, "
        f"refused {report.refused}" + (f" [{refused}]" if refused else "") + f", gaps {len(report.gaps)}"
    )

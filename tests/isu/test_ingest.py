"""Head-end ingest: a resent batch changes nothing, bad rows are refused with their reasons and the good ones kept,
gaps in the hourly profile are recorded and forgotten once filled; the CSV file format."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from services.errors import DomainError, ErrorCode
from services.integrations.service_tokens import ISU_WRITE, ServicePrincipal
from services.isu.csv_format import COLUMNS, CsvFormatError, read_batches
from services.isu.files import import_file
from services.isu.ingest import MAX_BATCH_ROWS, Gap, IngestReport, KindCounts, ingest_batch
from services.isu.records import (
    Batch,
    EventRecord,
    ExtremeRecord,
    HourRecord,
    RecordKind,
    Refusal,
    RefusalCode,
    RegisterRecord,
)
from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase, run
from services.platform.settings import PROJECT_ROOT
from tests.support.isu import PROFILE_START, SmartMeter, create_smart_meter, hour_values

SENDER = "head-end"
WRITER = ServicePrincipal(token_id=1, name=SENDER, scopes=frozenset({ISU_WRITE}))
MOSCOW = "+03:00"


async def _smart(db: TransactionalDatabase, clock: FrozenClock) -> tuple[SmartMeter, str]:
    smart = await create_smart_meter(db, now=clock.now())
    async with db.session() as session:
        code = (
            await run(session, sa.text("SELECT code FROM metering_point WHERE id = :id"), {"id": smart.point_id})
        ).scalar_one()
    return smart, str(code)


def _at(hours_from_start: int) -> datetime:
    return PROFILE_START + timedelta(hours=hours_from_start)


async def _stored(db: TransactionalDatabase, point_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Everything stored for the point, table by table, in key order."""
    queries = {
        "hours": "SELECT hour, a_plus_wh, a_minus_wh, r_plus_varh, r_minus_varh FROM isu_hourly_profile"
        " WHERE metering_point_id = :id ORDER BY hour",
        "registers": "SELECT day, scale, a_plus_wh, a_minus_wh, r_plus_varh, r_minus_varh FROM isu_daily_register"
        " WHERE metering_point_id = :id ORDER BY day, scale",
        "extremes": "SELECT period, quantity, kind, value, occurred_at FROM isu_power_extreme"
        " WHERE metering_point_id = :id ORDER BY period, quantity, kind",
        "events": "SELECT occurred_at, category, code, description FROM isu_event"
        " WHERE metering_point_id = :id ORDER BY occurred_at, category, code",
        "gaps": "SELECT gap_start, gap_end FROM isu_profile_gap WHERE metering_point_id = :id ORDER BY gap_start",
    }
    async with db.session() as session:
        return {
            name: [tuple(row) for row in (await run(session, sa.text(sql), {"id": point_id})).all()]
            for name, sql in queries.items()
        }


def _good_batch(code: str) -> Batch:
    return Batch(
        hours=[HourRecord(line, code, _at(72 + line), 500 + line, 0, 50, 1) for line in range(1, 25)],
        registers=[
            RegisterRecord(30, code, date(2026, 11, 2), "TOTAL", 5_000_002_000, 2, 500_000_002, 7),
            RegisterRecord(31, code, date(2026, 11, 4), "TOTAL", 5_000_004_000, 4, 500_000_004, 7),
        ],
        extremes=[
            ExtremeRecord(
                40, code, date(2026, 11, 1), "REACTIVE", "MAX", 5200, datetime(2026, 11, 20, 17, 3, tzinfo=UTC)
            )
        ],
        events=[EventRecord(50, code, datetime(2026, 11, 20, 8, 0, tzinfo=UTC), "VOLTAGE", 3, "Превышение напряжения")],
    )


async def test_a_batch_loaded_twice_counts_once(db: TransactionalDatabase, clock: FrozenClock) -> None:
    # given
    smart, code = await _smart(db, clock)
    before = await _stored(db, smart.point_id)
    first = await ingest_batch(
        db=db, clock=clock, principal=WRITER, sender=SENDER, batch_id="b-1", batch=_good_batch(code)
    )
    after_first = await _stored(db, smart.point_id)

    # when: the same batch id again, then the same rows under a new batch id
    again = await ingest_batch(
        db=db, clock=clock, principal=WRITER, sender=SENDER, batch_id="b-1", batch=_good_batch(code)
    )
    resent = await ingest_batch(
        db=db, clock=clock, principal=WRITER, sender=SENDER, batch_id="b-2", batch=_good_batch(code)
    )

    # then
    assert first.counts == {
        RecordKind.HOUR: KindCounts(accepted=24),
        RecordKind.REGISTER: KindCounts(accepted=2),
        RecordKind.EXTREME: KindCounts(accepted=1),
        RecordKind.EVENT: KindCounts(accepted=1),
    }
    assert len(after_first["hours"]) == len(before["hours"]) + 24
    assert len(after_first["registers"]) == len(before["registers"]) + 2
    assert again.repeated
    assert again.counts == first.counts
    assert not resent.repeated
    assert resent.counts == {
        RecordKind.HOUR: KindCounts(duplicate=24),
        RecordKind.REGISTER: KindCounts(duplicate=2),
        RecordKind.EXTREME: KindCounts(duplicate=1),
        RecordKind.EVENT: KindCounts(duplicate=1),
    }
    assert (resent.accepted, resent.refused) == (0, 0)
    assert await _stored(db, smart.point_id) == after_first


async def test_bad_rows_are_refused_with_reasons_and_the_good_ones_kept(
    db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: clock.now() is 2026-11-26 09:00 UTC, so the hour from 08:00 is complete and the hour from 09:00 is not
    smart, code = await _smart(db, clock)
    stored_hour_1 = hour_values(1)
    assert stored_hour_1 is not None
    total, t1 = "TOTAL", "T1"
    batch = Batch(
        hours=[
            HourRecord(2, code, _at(100), 700, 0, 70, 0),  # good
            HourRecord(3, "NO-SUCH-POINT", _at(100), 700, 0, 70, 0),
            HourRecord(4, code, _at(101) + timedelta(minutes=30), 700, 0, 70, 0),
            HourRecord(5, code, datetime(2026, 11, 26, 9, 0, tzinfo=UTC), 700, 0, 70, 0),
            HourRecord(6, code, datetime(2026, 11, 26, 8, 0, tzinfo=UTC), 701, 0, 70, 0),  # good: the last full hour
            HourRecord(7, code, _at(0), 999, 0, 10, 0),  # stored as 100, 0, 10, 0
            HourRecord(8, code, _at(1), *stored_hour_1),  # equal to the stored hour
            HourRecord(9, code, _at(100), 701, 0, 70, 0),  # line 2 said 700
            HourRecord(10, code, _at(102), -1, 0, 0, 0),
        ],
        registers=[
            RegisterRecord(20, code, date(2026, 11, 2), total, 5_000_002_000, 2, 500_000_002, 7),  # good
            RegisterRecord(21, code, date(2026, 11, 2), "T9", 1, 1, 1, 1),
            RegisterRecord(22, code, date(2026, 11, 4), total, 5_000_002_500, 4, 500_000_004, 7),  # below Nov 3
            RegisterRecord(23, code, date(2026, 11, 2), t1, 1_004_000, 2, 100_002, 7),  # above Nov 3's 1_003_000
            RegisterRecord(24, code, date(2026, 11, 27), total, 5_000_009_000, 9, 500_000_009, 7),  # tomorrow
        ],
        extremes=[
            ExtremeRecord(30, code, date(2026, 11, 1), "REACTIVE", "MAX", 520, datetime(2026, 11, 20, 17, tzinfo=UTC)),
            ExtremeRecord(31, code, date(2026, 11, 2), "ACTIVE", "MIN", 90, datetime(2026, 11, 20, 3, tzinfo=UTC)),
            ExtremeRecord(32, code, date(2026, 11, 1), "VOLTAGE", "MAX", 1, datetime(2026, 11, 20, 3, tzinfo=UTC)),
            ExtremeRecord(33, code, date(2026, 10, 1), "ACTIVE", "MAX", 9999, datetime(2026, 11, 2, tzinfo=UTC)),
        ],
        events=[
            EventRecord(40, code, datetime(2026, 11, 20, 8, tzinfo=UTC), "VOLTAGE", 3, "Превышение напряжения"),
            EventRecord(41, code, datetime(2026, 11, 20, 8, tzinfo=UTC), "WEATHER", 1, "Гроза"),
            EventRecord(42, code, datetime(2026, 11, 27, 8, tzinfo=UTC), "VOLTAGE", 3, "Превышение напряжения"),
            EventRecord(43, code, datetime(2026, 11, 21, 8, tzinfo=UTC), "VOLTAGE", 3, " "),
        ],
        refused=[Refusal(50, None, RefusalCode.UNKNOWN_RECORD)],
    )
    before = await _stored(db, smart.point_id)

    # when
    report = await ingest_batch(db=db, clock=clock, principal=WRITER, sender=SENDER, batch_id="mixed", batch=batch)

    # then
    assert [(row.line, row.code) for row in report.refusals] == [
        (3, RefusalCode.UNKNOWN_POINT),
        (4, RefusalCode.NOT_ON_THE_HOUR),
        (5, RefusalCode.FUTURE),
        (7, RefusalCode.CONFLICTS_WITH_STORED),
        (9, RefusalCode.CONFLICTS_IN_BATCH),
        (10, RefusalCode.BAD_NUMBER),
        (21, RefusalCode.UNKNOWN_SCALE),
        (22, RefusalCode.REGISTER_WENT_BACK),
        (23, RefusalCode.REGISTER_WENT_BACK),
        (24, RefusalCode.FUTURE),
        (31, RefusalCode.NOT_A_MONTH),
        (32, RefusalCode.UNKNOWN_QUANTITY),
        (33, RefusalCode.OUTSIDE_PERIOD),
        (41, RefusalCode.UNKNOWN_CATEGORY),
        (42, RefusalCode.FUTURE),
        (43, RefusalCode.BAD_DESCRIPTION),
        (50, RefusalCode.UNKNOWN_RECORD),
    ]
    assert all(row.message for row in report.refusals)
    assert report.counts == {
        RecordKind.HOUR: KindCounts(accepted=2, duplicate=1, refused=6),
        RecordKind.REGISTER: KindCounts(accepted=1, refused=4),
        RecordKind.EXTREME: KindCounts(accepted=1, refused=3),
        RecordKind.EVENT: KindCounts(accepted=1, refused=3),
    }
    assert report.unreadable == 1
    after = await _stored(db, smart.point_id)
    assert set(after["hours"]) - set(before["hours"]) == {
        (_at(100), 700, 0, 70, 0),
        (datetime(2026, 11, 26, 8, 0, tzinfo=UTC), 701, 0, 70, 0),
    }
    assert set(after["registers"]) - set(before["registers"]) == {
        (date(2026, 11, 2), total, 5_000_002_000, 2, 500_000_002, 7)
    }
    assert len(after["extremes"]) == len(before["extremes"]) + 1
    assert len(after["events"]) == len(before["events"]) + 1


async def test_gaps_around_a_batch_are_recorded_and_forgotten_once_filled(
    db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: the stored profile ends with hour 71
    smart, code = await _smart(db, clock)
    first = Batch(hours=[HourRecord(line, code, _at(index), 1, 0, 0, 0) for line, index in enumerate((80, 81, 84))])

    # when
    report = await ingest_batch(db=db, clock=clock, principal=WRITER, sender=SENDER, batch_id="gappy", batch=first)

    # then
    assert report.gaps == [Gap(point=code, start=_at(72), end=_at(80)), Gap(point=code, start=_at(82), end=_at(84))]
    assert (await _stored(db, smart.point_id))["gaps"] == [(_at(72), _at(80)), (_at(82), _at(84))]

    # when: the later gap is filled
    filling = Batch(hours=[HourRecord(line, code, _at(index), 1, 0, 0, 0) for line, index in enumerate((82, 83))])
    await ingest_batch(db=db, clock=clock, principal=WRITER, sender=SENDER, batch_id="filling", batch=filling)

    # then
    assert (await _stored(db, smart.point_id))["gaps"] == [(_at(72), _at(80))]


async def test_a_repeated_batch_answers_the_stored_report(db: TransactionalDatabase, clock: FrozenClock) -> None:
    # given
    _, code = await _smart(db, clock)
    batch = Batch(hours=[HourRecord(2, code, _at(90), 1, 0, 0, 0), HourRecord(3, "NOPE", _at(90), 1, 0, 0, 0)])
    first = await ingest_batch(db=db, clock=clock, principal=WRITER, sender=SENDER, batch_id="twice", batch=batch)

    # when
    second = await ingest_batch(db=db, clock=clock, principal=WRITER, sender=SENDER, batch_id="twice", batch=Batch())

    # then
    assert second.repeated
    assert IngestReport.from_json(first.to_json(), repeated=True) == second
    assert second.refusals[0].code is RefusalCode.UNKNOWN_POINT


async def test_the_service_refuses_a_token_without_isu_write(db: TransactionalDatabase, clock: FrozenClock) -> None:
    # given: a head-end whose token grants another scope
    smart, code = await _smart(db, clock)
    before = await _stored(db, smart.point_id)
    other = ServicePrincipal(token_id=1, name=SENDER, scopes=frozenset({"readings:write"}))

    # when / then: refused by the service itself, nothing written (not even the batch id)
    with pytest.raises(DomainError) as raised:
        await ingest_batch(db=db, clock=clock, principal=other, sender=SENDER, batch_id="f-1", batch=_good_batch(code))
    assert [problem.code for problem in raised.value.problems] == [ErrorCode.FORBIDDEN]
    assert await _stored(db, smart.point_id) == before
    async with db.session() as session:
        stored = await run(session, sa.text("SELECT count(*) FROM isu_ingest_batch WHERE external_id = 'f-1'"))
        assert stored.scalar_one() == 0

    # and the same batch with the scope is stored
    report = await ingest_batch(
        db=db, clock=clock, principal=WRITER, sender=SENDER, batch_id="f-1", batch=_good_batch(code)
    )
    assert report.counts[RecordKind.HOUR] == KindCounts(accepted=24)


async def test_a_batch_too_large_is_refused_whole(db: TransactionalDatabase, clock: FrozenClock) -> None:
    batch = Batch(refused=[Refusal(line, None, RefusalCode.UNKNOWN_RECORD) for line in range(MAX_BATCH_ROWS + 1)])

    with pytest.raises(DomainError) as raised:
        await ingest_batch(db=db, clock=clock, principal=WRITER, sender=SENDER, batch_id="huge", batch=batch)

    assert raised.value.problems[0].field == ("rows",)
    async with db.session() as session:
        stored = await run(session, sa.text("SELECT count(*) FROM isu_ingest_batch WHERE external_id = 'huge'"))
        assert stored.scalar_one() == 0


def test_csv_rows_become_records_and_malformed_lines_are_refused_with_their_line_numbers() -> None:
    lines = [
        "\ufeffrecord,point,at,scale,a_plus_wh,a_minus_wh,r_plus_varh,r_minus_varh,period,quantity,kind,value,"
        "category,code,description\n",
        f"HOUR,P1,2026-11-01T00:00:00{MOSCOW},,412,0,45,2,,,,,,,\n",
        "REGISTER,P1,2026-11-02,T1,1000,,20,3,,,,,,,\n",
        f"EXTREME,P1,2026-11-20T17:03:00{MOSCOW},,,,,,2026-11,ACTIVE,MAX,5200,,,\n",
        f'EVENT,P1,2026-11-20T08:00:00{MOSCOW},,,,,,,,,,VOLTAGE,3,"Превышение напряжения, фаза A"\n',
        "HOUR,P1,2026-11-01T01:00:00,,1,0,0,0,,,,,,,\n",  # no zone
        f"HOUR,P1,2026-11-01T01:00:00{MOSCOW},,1.5,0,0,0,,,,,,,\n",
        f"HOUR,,2026-11-01T01:00:00{MOSCOW},,1,0,0,0,,,,,,,\n",
        "READING,P1,2026-11-01,,1,0,0,0,,,,,,,\n",
        "\n",
        f"HOUR,P1,2026-11-01T02:00:00{MOSCOW},,1,0\n",
    ]

    (batch,) = list(read_batches(lines))

    moscow = datetime.fromisoformat(f"2026-11-01T00:00:00{MOSCOW}").tzinfo
    assert batch.hours == [HourRecord(2, "P1", datetime(2026, 11, 1, tzinfo=moscow), 412, 0, 45, 2)]
    assert batch.registers == [RegisterRecord(3, "P1", date(2026, 11, 2), "T1", 1000, 0, 20, 3)]
    assert batch.extremes == [
        ExtremeRecord(4, "P1", date(2026, 11, 1), "ACTIVE", "MAX", 5200, datetime(2026, 11, 20, 14, 3, tzinfo=UTC))
    ]
    assert batch.events == [
        EventRecord(5, "P1", datetime(2026, 11, 20, 5, tzinfo=UTC), "VOLTAGE", 3, "Превышение напряжения, фаза A")
    ]
    assert batch.refused == [
        Refusal(6, RecordKind.HOUR, RefusalCode.BAD_TIME),
        Refusal(7, RecordKind.HOUR, RefusalCode.BAD_NUMBER),
        Refusal(8, RecordKind.HOUR, RefusalCode.MISSING_FIELD),
        Refusal(9, None, RefusalCode.UNKNOWN_RECORD),
        Refusal(11, RecordKind.HOUR, RefusalCode.MISSING_FIELD),
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("record,point,at,a_plus_wh,q_plus_varh\n", "unknown columns: q_plus_varh"),
        ("record,at,a_plus_wh\n", "missing columns: point"),
    ],
)
def test_a_csv_header_with_an_unknown_channel_or_without_a_point_refuses_the_file(header: str, message: str) -> None:
    with pytest.raises(CsvFormatError, match=message):
        list(read_batches([header, "HOUR,P1,2026-11-01T00:00:00+03:00,1,2\n"]))


async def test_a_file_loads_in_batches_and_loading_it_again_changes_nothing(
    db: TransactionalDatabase, clock: FrozenClock, tmp_path: Path
) -> None:
    # given: 50 hours in batches of 20
    smart, code = await _smart(db, clock)
    path = tmp_path / "profile.csv"
    rows = [f"HOUR,{code},{_at(200 + index).isoformat()},{index},0,{index // 10},0" for index in range(50)]
    path.write_text("record,point,at,a_plus_wh,a_minus_wh,r_plus_varh,r_minus_varh\n" + "\n".join(rows) + "\n")

    # when
    first = await import_file(db=db, clock=clock, principal=WRITER, path=path, sender=SENDER, rows_per_batch=20)
    stored = await _stored(db, smart.point_id)
    second = await import_file(db=db, clock=clock, principal=WRITER, path=path, sender=SENDER, rows_per_batch=20)

    # then
    assert [report.accepted for report in first] == [20, 20, 10]
    assert [report.repeated for report in second] == [True, True, True]
    assert await _stored(db, smart.point_id) == stored
    assert [row for row in stored["hours"] if row[0] >= _at(200)] == [
        (_at(200 + index), index, 0, index // 10, 0) for index in range(50)
    ]


def test_isu_import_prints_each_batch_report_and_refuses_a_file_not_in_the_format(
    tmp_path: Path, database_url: str
) -> None:
    # given: a point no one has (so the shared database keeps no data), and a file with an unknown channel
    good = tmp_path / "unknown-point.csv"
    good.write_text("record,point,at,a_plus_wh\nHOUR,NO-SUCH-POINT,2026-11-01T00:00:00+03:00,5\nHOUR,X\n")
    bad = tmp_path / "bad-header.csv"
    bad.write_text("record,point,at,q_plus_varh\n")
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "WORKERS")}
    env.update(DATABASE_URL=database_url, DATA_DIR=str(tmp_path / "data"), LOG_LEVEL="WARNING")

    # when
    loaded = _server("isu-import", str(good), "--sender", f"cli-{tmp_path.name}", env=env)
    refused = _server("isu-import", str(bad), env=env)

    # then
    assert loaded.returncode == 0, loaded.stderr
    assert "accepted 0, duplicate 0, refused 2" in loaded.stdout
    assert "line 2: UNKNOWN_POINT Точка учёта не найдена" in loaded.stdout
    assert "line 3: MISSING_FIELD" in loaded.stdout
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"error: {bad}: unknown columns: q_plus_varh; known: {', '.join(COLUMNS)}"


def _server(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "server.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_a_deleted_metering_points_hours_go_with_it(db: TransactionalDatabase, clock: FrozenClock) -> None:
    # given: two smart meters with hours (the profile has no per-row foreign key: a trigger cascades instead)
    gone, kept = await create_smart_meter(db, now=clock.now()), await create_smart_meter(db, now=clock.now())

    async def hours(point_id: int) -> int:
        async with db.session() as session:
            statement = sa.text("SELECT count(*) FROM isu_hourly_profile WHERE metering_point_id = :point")
            return int((await run(session, statement, {"point": point_id})).scalar_one())

    before = await hours(kept.point_id)

    # when: the first one's meter is deleted (its metering point goes by the meter's cascade)
    async with db.session() as session:
        await run(session, sa.text("DELETE FROM meter WHERE id = :id"), {"id": gone.meter.id})
        await session.commit()

    # then
    assert await hours(gone.point_id) == 0
    assert before > 0
    assert await hours(kept.point_id) == before

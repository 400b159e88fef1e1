"""The profile at a chosen resolution, aggregated in SQL and packed as JSON arrays per channel."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import orjson

from loaders.isu import CHANNELS, PackedSeriesByPoint, Resolution, align, steps_between
from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase, count_statements
from tests.support.isu import MISSING_HOUR, PROFILE_HOURS, PROFILE_START, create_smart_meter, hour_values

MOSCOW_MIDNIGHT_NOV_1 = datetime.fromisoformat("2026-11-01T00:00:00+03:00")


def _channel_sums(hours: range) -> list[int]:
    values = [values for index in hours if (values := hour_values(index)) is not None]
    return [sum(each[position] for each in values) for position in range(len(CHANNELS))]


def test_steps_are_aligned_to_local_days_and_months() -> None:
    half_past = MOSCOW_MIDNIGHT_NOV_1 + timedelta(minutes=30)

    assert align(half_past, Resolution.HOUR) == PROFILE_START
    assert align(half_past + timedelta(hours=5), Resolution.DAY) == PROFILE_START
    assert align(half_past + timedelta(days=20), Resolution.MONTH) == PROFILE_START
    assert steps_between(PROFILE_START, PROFILE_START + timedelta(hours=72), Resolution.DAY) == 3
    assert steps_between(PROFILE_START, PROFILE_START + timedelta(hours=73), Resolution.DAY) == 4
    assert steps_between(PROFILE_START, PROFILE_START + timedelta(minutes=61), Resolution.HOUR) == 2
    assert steps_between(PROFILE_START, datetime.fromisoformat("2027-01-01T00:00:00+03:00"), Resolution.MONTH) == 2
    assert steps_between(PROFILE_START, datetime.fromisoformat("2027-01-02T00:00:00+03:00"), Resolution.MONTH) == 3


async def test_hours_are_packed_with_null_for_missing_ones(db: TransactionalDatabase, clock: FrozenClock) -> None:
    smart = await create_smart_meter(db, now=clock.now())
    start = PROFILE_START - timedelta(hours=2)

    series = await PackedSeriesByPoint(db).load((smart.point_id, start, 10, Resolution.HOUR))

    expected = [hour_values(index) for index in range(-2, 8)]
    assert series.start == start
    assert series.length == 10
    for position, name in enumerate(CHANNELS):
        assert orjson.loads(series.channels[name]) == [None if each is None else each[position] for each in expected]
    assert orjson.loads(series.hours) == [0 if each is None else 1 for each in expected]
    assert orjson.loads(series.hours)[2 + MISSING_HOUR] == 0


async def test_a_range_with_every_hour_stored_reads_the_same_as_one_with_gaps(
    db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given: hours 6..71 are all stored; 4..71 miss hour 5
    smart = await create_smart_meter(db, now=clock.now())
    loader = PackedSeriesByPoint(db)

    complete, gappy = await asyncio.gather(
        loader.load((smart.point_id, PROFILE_START + timedelta(hours=6), PROFILE_HOURS - 6, Resolution.HOUR)),
        loader.load((smart.point_id, PROFILE_START + timedelta(hours=4), PROFILE_HOURS - 4, Resolution.HOUR)),
    )

    for position, name in enumerate(CHANNELS):
        stored = [each[position] if (each := hour_values(index)) else None for index in range(4, PROFILE_HOURS)]
        assert orjson.loads(gappy.channels[name]) == stored
        assert orjson.loads(complete.channels[name]) == stored[2:]
    assert orjson.loads(complete.hours) == [1] * (PROFILE_HOURS - 6)
    assert orjson.loads(gappy.hours) == [1, 0] + [1] * (PROFILE_HOURS - 6)


async def test_days_and_months_are_sums_of_their_local_hours(db: TransactionalDatabase, clock: FrozenClock) -> None:
    smart = await create_smart_meter(db, now=clock.now())
    loader = PackedSeriesByPoint(db)
    october = datetime.fromisoformat("2026-10-01T00:00:00+03:00")

    days, months = await asyncio.gather(
        loader.load((smart.point_id, PROFILE_START, 4, Resolution.DAY)),
        loader.load((smart.point_id, october, 2, Resolution.MONTH)),
    )

    day_sums = [_channel_sums(range(24 * day, 24 * (day + 1))) for day in range(3)]
    for position, name in enumerate(CHANNELS):
        assert orjson.loads(days.channels[name]) == [*(sums[position] for sums in day_sums), None]
        assert orjson.loads(months.channels[name]) == [None, _channel_sums(range(PROFILE_HOURS))[position]]
    assert orjson.loads(days.hours) == [23, 24, 24, 0]
    assert orjson.loads(months.hours) == [0, PROFILE_HOURS - 1]


async def test_keys_of_one_resolution_take_one_statement(db: TransactionalDatabase, clock: FrozenClock) -> None:
    first = await create_smart_meter(db, now=clock.now())
    second = await create_smart_meter(db, now=clock.now())
    loader = PackedSeriesByPoint(db)

    async with count_statements() as statements:
        one, other = await asyncio.gather(
            loader.load((first.point_id, PROFILE_START, 72, Resolution.HOUR)),
            loader.load((second.point_id, PROFILE_START, 72, Resolution.HOUR)),
        )

    assert statements[0] == 1
    assert one.channels == other.channels

"""The processor: RECEIVED → PROCESSED (accepted readings, source CUSTOMER) or REJECTED, each with its event; several
processors never process one submission twice; submissions for one meter at the same moment stay consistent."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest
import sqlalchemy as sa

from models import Meter
from models.enums import ReadingSource, TariffZone
from services.errors import DomainError, ErrorCode
from services.platform.clock import FrozenClock
from services.platform.database import Database, run
from services.platform.runtime import Runtime
from services.platform.settings import Settings
from services.readings.processing import process_received
from services.readings.submission import submit_readings
from services.readings.validation import TypedValue
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.processes import committed_database
from tests.support.readings import SUBMIT, add_readings, link_family_member, submit_input


async def send(runtime: Runtime, meter: Meter, customer_id: int, value: str) -> int:
    assert meter.id is not None
    result = await submit_readings(
        runtime,
        meter_id=meter.id,
        customer_id=customer_id,
        typed=[TypedValue(TariffZone.SINGLE, value)],
        idempotency_key=uuid.uuid4().hex,
    )
    assert result.submission.id is not None
    return result.submission.id


async def statuses(db: Database, ids: list[int]) -> list[str]:
    async with db.session() as session:
        rows = await run(
            session,
            sa.text("SELECT status FROM reading_submission WHERE id = ANY(:ids) ORDER BY id"),
            {"ids": ids},
        )
        return [row.status for row in rows]


async def test_a_received_submission_becomes_accepted_readings(
    runtime: Runtime, gql: GraphQLClient, clock: FrozenClock
) -> None:
    # given
    owner = await create_customer(runtime.db, now=clock.now())
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner, zone_count=2)
    customer = gql.as_token(await token_for(runtime, owner))
    await customer.execute(SUBMIT, submit_input(meter, {"DAY": "120", "NIGHT": "40"}))

    # when
    processed = await process_received(runtime)

    # then
    assert processed >= 1
    async with runtime.db.session() as session:
        rows = (
            await run(
                session,
                sa.text(
                    "SELECT r.zone, r.value, r.source, r.taken_on, r.period, s.status FROM reading AS r "
                    "JOIN reading_submission AS s ON s.id = r.submission_id WHERE r.meter_id = :meter ORDER BY r.zone"
                ),
                {"meter": meter.id},
            )
        ).all()
    assert [(row.zone, row.value, row.source, row.status) for row in rows] == [
        ("DAY", 120, ReadingSource.CUSTOMER.value, "PROCESSED"),
        ("NIGHT", 40, ReadingSource.CUSTOMER.value, "PROCESSED"),
    ]
    assert {(row.taken_on, row.period) for row in rows} == {(date(2026, 11, 26), date(2026, 12, 1))}


async def test_a_submission_below_a_newer_reading_from_another_source_is_rejected(
    runtime: Runtime, clock: FrozenClock
) -> None:
    # given: the customer sent 16500; before it was processed a control inspection read 16600
    owner = await create_customer(runtime.db, now=clock.now())
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner)
    await add_readings(runtime.db, meter, [(date(2026, 10, 20), 16360)], now=clock.now())
    assert owner.id is not None
    submission_id = await send(runtime, meter, owner.id, "16500")
    await add_readings(
        runtime.db, meter, [(date(2026, 11, 26), 16600)], source=ReadingSource.CONTROL_INSPECTION, now=clock.now()
    )

    # when
    await process_received(runtime)

    # then
    async with runtime.db.session() as session:
        row = (
            await run(
                session, sa.text("SELECT status, reason FROM reading_submission WHERE id = :id"), {"id": submission_id}
            )
        ).one()
        readings = (
            await run(session, sa.text("SELECT count(*) FROM reading WHERE submission_id = :id"), {"id": submission_id})
        ).scalar_one()
    assert row.status == "REJECTED"
    assert "16600" in row.reason
    assert readings == 0


async def test_the_accepted_consumption_is_counted_from_the_last_accepted_value(
    runtime: Runtime, clock: FrozenClock
) -> None:
    # given: 16500 sent (140 kWh after 16360); before it was processed a control inspection read 16450
    owner = await create_customer(runtime.db, now=clock.now())
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner)
    await add_readings(runtime.db, meter, [(date(2026, 10, 20), 16360)], now=clock.now())
    assert owner.id is not None
    submission_id = await send(runtime, meter, owner.id, "16500")
    await add_readings(
        runtime.db, meter, [(date(2026, 11, 26), 16450)], source=ReadingSource.CONTROL_INSPECTION, now=clock.now()
    )

    # when
    await process_received(runtime)

    # then
    async with runtime.db.session() as session:
        consumption = (
            await run(
                session,
                sa.text("SELECT consumption FROM submitted_value WHERE submission_id = :id"),
                {"id": submission_id},
            )
        ).scalar_one()
    assert await statuses(runtime.db, [submission_id]) == ["PROCESSED"]
    assert consumption == 50


async def test_each_status_change_writes_an_event_for_the_account(runtime: Runtime, clock: FrozenClock) -> None:
    owner = await create_customer(runtime.db, now=clock.now())
    account, meter = await create_account(runtime.db, now=clock.now(), owner=owner)
    assert owner.id is not None
    submission_id = await send(runtime, meter, owner.id, "10")

    await process_received(runtime)

    async with runtime.db.session() as session:
        rows = (
            await run(
                session,
                sa.text(
                    "SELECT channels, payload FROM outbox_event WHERE type = 'reading.status_changed' "
                    "AND (payload->>'submission_id')::bigint = :id ORDER BY id"
                ),
                {"id": submission_id},
            )
        ).all()
    assert [(row.channels, row.payload["old"], row.payload["new"]) for row in rows] == [
        ([f"account:{account.id}"], None, "RECEIVED"),
        ([f"account:{account.id}"], "RECEIVED", "PROCESSED"),
    ]


# ------------------------------------------------------------------ on a committed database, separate connections


@pytest.fixture
async def committed(server_url: str, settings: Settings, clock: FrozenClock) -> AsyncIterator[Runtime]:
    async with committed_database(server_url) as db:
        yield Runtime(settings=settings, db=db, clock=clock)


async def test_two_processors_never_process_one_submission_twice(
    committed: Runtime, settings: Settings, clock: FrozenClock
) -> None:
    # given: 30 submissions on 6 meters, 5 each
    runtime = committed
    now = clock.now()
    meters: list[Meter] = []
    submission_ids: list[int] = []
    for _ in range(6):
        owner = await create_customer(runtime.db, now=now)
        _, meter = await create_account(runtime.db, now=now, owner=owner)
        meters.append(meter)
        for value in range(100, 600, 100):
            relative = await create_customer(runtime.db, now=now)  # one sender each: nothing replaces anything
            await link_family_member(runtime.db, meter, relative, now=now)
            assert relative.id is not None
            submission_ids.append(await send(runtime, meter, relative.id, str(value)))
    second_db = Database.from_url(runtime.db.engine.url.render_as_string(hide_password=False), pool_size=2)
    second = Runtime(settings=settings, db=second_db, clock=clock)

    async def drain(worker: Runtime) -> int:
        done = 0
        while handled := await process_received(worker, limit=4):
            done += handled
        return done

    try:
        async with runtime.db.session() as holder:
            # the first meter is held, so the first processor stops midway with its claim on that meter's five open
            await run(holder, sa.text("SELECT id FROM meter WHERE id = :id FOR UPDATE"), {"id": meters[0].id})
            first = asyncio.create_task(process_received(runtime, limit=5))
            await waiting_for_a_lock(runtime.db)

            # when: the second processor runs meanwhile
            drained_meanwhile = await drain(second)
            await holder.rollback()
        claimed_first = await first
    finally:
        await second_db.dispose()

    # then: each did its part, and every submission was processed exactly once
    assert (claimed_first, drained_meanwhile) == (5, 25)
    assert await drain(runtime) == 0
    assert await statuses(runtime.db, submission_ids) == ["PROCESSED"] * len(submission_ids)
    async with runtime.db.session() as session:
        per_submission = (
            await run(
                session,
                sa.text(
                    "SELECT s.id, (SELECT count(*) FROM reading AS r WHERE r.submission_id = s.id) AS readings, "
                    "(SELECT count(*) FROM outbox_event AS e WHERE (e.payload->>'submission_id')::bigint = s.id "
                    " AND e.payload->>'old' = 'RECEIVED') AS changes FROM reading_submission AS s"
                ),
            )
        ).all()
    assert {(row.readings, row.changes) for row in per_submission} == {(1, 1)}


async def waiting_for_a_lock(db: Database) -> None:
    """Until some connection of the database waits for a row lock (polled, not timed)."""
    for _ in range(1000):
        async with db.session() as session:
            waiting = (
                await run(
                    session,
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    ),
                )
            ).scalar_one()
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no connection started waiting for a lock")


async def test_a_processor_skips_submissions_another_one_holds(
    committed: Runtime, settings: Settings, clock: FrozenClock
) -> None:
    # given: two submissions; a first processor holds the older one
    runtime = committed
    owner = await create_customer(runtime.db, now=clock.now())
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner)
    other_owner = await create_customer(runtime.db, now=clock.now())
    _, other_meter = await create_account(runtime.db, now=clock.now(), owner=other_owner)
    assert owner.id is not None
    assert other_owner.id is not None
    held = await send(runtime, meter, owner.id, "100")
    free = await send(runtime, other_meter, other_owner.id, "100")

    async with runtime.db.session() as holder:
        await run(
            holder, sa.text("SELECT id FROM reading_submission WHERE id = :id FOR UPDATE SKIP LOCKED"), {"id": held}
        )

        # when: a second processor runs meanwhile
        processed_meanwhile = await process_received(runtime)

        # then: it took the other one only, without waiting
        assert processed_meanwhile == 1
        assert await statuses(runtime.db, [held, free]) == ["RECEIVED", "PROCESSED"]
        await holder.rollback()

    assert await process_received(runtime) == 1
    assert await statuses(runtime.db, [held, free]) == ["PROCESSED", "PROCESSED"]


async def test_submissions_for_one_meter_at_the_same_moment_leave_a_consistent_history(
    committed: Runtime, clock: FrozenClock
) -> None:
    # given: six people of one family, each about to send a reading of the same meter
    runtime = committed
    owner = await create_customer(runtime.db, now=clock.now())
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner)
    await add_readings(runtime.db, meter, [(date(2026, 10, 20), 16360)], now=clock.now())
    typed = ["16500", "16400", "16450", "16700", "16361", "16600"]
    senders: list[int] = []
    for _ in typed:
        relative = await create_customer(runtime.db, now=clock.now())
        await link_family_member(runtime.db, meter, relative, now=clock.now())
        assert relative.id is not None
        senders.append(relative.id)

    async def attempt(sender: int, value: str) -> str:
        try:
            await send(runtime, meter, sender, value)
        except DomainError as error:
            return ",".join(problem.code for problem in error.problems)
        return "stored"

    # when: all at once, each on its own connection
    outcomes = await asyncio.gather(*(attempt(sender, value) for sender, value in zip(senders, typed, strict=True)))

    # then: stored in some order, each counted from the one stored before it, never going down
    async with runtime.db.session() as session:
        rows = (
            await run(
                session,
                sa.text(
                    "SELECT v.value, v.consumption FROM reading_submission AS s "
                    "JOIN submitted_value AS v ON v.submission_id = s.id WHERE s.meter_id = :meter ORDER BY s.id"
                ),
                {"meter": meter.id},
            )
        ).all()
    assert set(outcomes) <= {"stored", ErrorCode.BELOW_PREVIOUS}
    assert len(rows) == outcomes.count("stored") >= 1
    values = [16360, *(row.value for row in rows)]
    assert [row.consumption for row in rows] == [after - before for before, after in itertools.pairwise(values)]
    assert values == sorted(values)

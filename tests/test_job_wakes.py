"""Idle background jobs make no statements (issue 15): the relay, the delivery job, the reading processor and the
e-receipts wait on one listening connection per process (PostgreSQL NOTIFY) instead of polling, and a message whose
retry is due wakes the delivery job at that time without a notification.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from models.enums import DeliveryStatus
from models.infra import OutboundMessage
from server import BACKGROUND
from services.messaging.delivery import next_due
from services.messaging.outbound import queue_sms
from services.platform.background import Background, Job
from services.platform.clock import SystemClock
from services.platform.database import Database, count_statements, not_counted, run
from services.platform.listener import APPLICATION_NAME
from services.platform.runtime import Runtime
from services.platform.settings import Settings
from tests.support.processes import committed_database
from tests.support.wakes import AlwaysLive

ARRIVAL_BOUND = 15.0  # generous for a loaded machine; the jobs' own polls are a minute or more
SLOW_POLL = 60.0
WINDOW_SECONDS = 3.0  # the delivery job and the reading processor used to poll twice a second each


@asynccontextmanager
async def _runtime(server_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    async with committed_database(server_url) as db:
        settings = Settings(database_url=str(db.engine.url), data_dir=tmp_path, cost_budget=False)
        yield Runtime(settings=settings, db=db, clock=SystemClock())


async def _listening_connections(db: Database) -> int:
    with not_counted():
        async with db.session() as session:
            value = (
                await run(
                    session,
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE application_name = :name AND datname = current_database()"
                    ),
                    {"name": APPLICATION_NAME},
                )
            ).scalar_one()
    return int(value)


async def _until_listening(db: Database) -> None:
    async with asyncio.timeout(ARRIVAL_BOUND):
        while await _listening_connections(db) < 1:  # noqa: ASYNC110 - polled
            await asyncio.sleep(0.05)


async def _until_quiet(counter: list[int]) -> None:
    """Wait (bounded) until the jobs' first ticks are over: a second without a statement."""
    async with asyncio.timeout(ARRIVAL_BOUND * 2):
        while True:
            before = list(counter)
            await asyncio.sleep(1.0)
            if counter == before:
                return


async def test_idle_jobs_make_no_statements_and_share_one_listening_connection(server_url: str, tmp_path: Path) -> None:
    async with _runtime(server_url, tmp_path) as runtime, count_statements() as counter:
        # given: every job of a process running, started idle
        tasks = await BACKGROUND.start(runtime)
        try:
            await _until_listening(runtime.db)
            await _until_quiet(counter)

            # when: nothing happens for a while
            counter[:] = [0, 0]
            await asyncio.sleep(WINDOW_SECONDS)
            idle = list(counter)
            listening = await _listening_connections(runtime.db)
        finally:
            await BACKGROUND.stop(runtime, tasks)

    # then: not one statement, and the woken jobs share one connection
    assert idle == [0, 0]
    assert listening == 1


def _slow(name: str) -> Job:
    job = next(job for job in BACKGROUND.jobs if job.name == name)
    return dataclasses.replace(job, idle_seconds=SLOW_POLL, woken_idle_seconds=SLOW_POLL)


async def _status(db: Database, message_id: int) -> DeliveryStatus:
    async with db.session() as session:
        message = await session.get(OutboundMessage, message_id)
        assert message is not None
        await session.refresh(message)
        return message.status


async def test_a_queued_message_wakes_the_delivery_job(server_url: str, tmp_path: Path) -> None:
    async with _runtime(server_url, tmp_path) as runtime:
        background = Background(jobs=[_slow("deliver-messages")])
        tasks = await background.start(runtime)
        try:
            await _until_listening(runtime.db)
            await asyncio.sleep(0.5)  # the first tick found nothing: the job waits for a minute

            # when: a message is queued
            async with runtime.db.session() as session:
                message = queue_sms(
                    session, to="+79990001122", text="код 1234", kind="test", sender="lk", now=runtime.clock.now()
                )
                await session.commit()
            assert message.id is not None

            # then: it is sent long before the job's poll
            async with asyncio.timeout(ARRIVAL_BOUND):
                while await _status(runtime.db, message.id) is DeliveryStatus.PENDING:  # noqa: ASYNC110 - polled
                    await asyncio.sleep(0.05)
            status = await _status(runtime.db, message.id)
        finally:
            await background.stop(runtime, tasks)

    assert status is DeliveryStatus.SENT


async def test_next_due_is_the_earliest_pending_message_or_its_retry(server_url: str, tmp_path: Path) -> None:
    async with _runtime(server_url, tmp_path) as runtime:
        nothing = await next_due(runtime)
        now = runtime.clock.now()
        async with runtime.db.session() as session:
            later = queue_sms(session, to="+79990001122", text="a", kind="test", sender="lk", now=now)
            later.meta = {"retry_at": (now + timedelta(seconds=40)).isoformat()}
            await session.commit()
        retry = await next_due(runtime)
        async with runtime.db.session() as session:
            queue_sms(session, to="+79990001123", text="b", kind="test", sender="lk", now=now)
            await session.commit()
        waiting = await next_due(runtime)

    assert nothing is None
    assert retry is not None
    assert 30 < retry <= 40
    assert waiting is not None
    assert waiting <= 0


async def test_a_woken_job_waits_until_its_next_known_work(runtime: Runtime) -> None:
    ticks: list[int] = []
    asked: list[int] = []
    enough = asyncio.Event()

    async def tick(_: Runtime) -> int:
        ticks.append(1)
        if len(ticks) >= 3:
            enough.set()
        return 0

    async def due(_: Runtime) -> float | None:
        asked.append(1)
        return 0.0  # work is due now: the pause is the job's short one, not its hour-long poll

    job = Job(name="t", run_once=tick, idle_seconds=0.01, wake=lambda _: AlwaysLive(), woken_idle_seconds=3600, due=due)
    background = Background(jobs=[job])
    tasks = await background.start(runtime)
    try:
        await asyncio.wait_for(enough.wait(), timeout=ARRIVAL_BOUND)
    finally:
        await background.stop(runtime, tasks)

    assert len(ticks) >= 3
    assert len(asked) >= 2

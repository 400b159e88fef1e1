"""Real server processes for tests that cross process boundaries (subscriptions fanned out through Redis).

Such tests cannot use the rolled-back test transaction: the servers only see committed data. `server_processes`
makes a database of its own (migrated, with the demo data), starts N `server.py` processes on it sharing one Redis,
and drops everything at the end.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from services.platform.clock import Clock, SystemClock
from services.platform.database import Database, to_async_url
from services.platform.migrate import upgrade_to_head
from services.platform.runtime import Runtime
from services.platform.settings import PROJECT_ROOT, Settings

SECRET_KEY = "test-secret-for-server-processes-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServerProcesses:
    database_url: str
    urls: list[str]  # http://127.0.0.1:PORT of each process
    runtime: Runtime  # on the same (committed) database, on real time like the processes: for arranging data
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)

    def graphql_url(self, index: int) -> str:
        return f"{self.urls[index]}/graphql"


def spawn_server(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    """`server.py` on `port` as a child process, its output (both streams, as text) on `stdout`."""
    return subprocess.Popen(
        [sys.executable, "server.py", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def admin_execute(server_url: str, statement: str) -> None:
    dsn = make_url(to_async_url(server_url)).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _wait_ready(url: str, process: asyncio.subprocess.Process, timeout: float = 180) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            if process.returncode is not None:
                raise RuntimeError(
                    f"server process exited with {process.returncode} (its output: server-N.log in the test's tmp_path)"
                )
            try:
                if (await client.get(f"{url}/readyz", timeout=2)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if loop.time() > deadline:
                raise TimeoutError(f"{url} not ready in {timeout} s")
            await asyncio.sleep(0.2)


@asynccontextmanager
async def server_processes(
    *, server_url: str, redis_url: str, clock: Clock, tmp_path: Path, count: int = 2
) -> AsyncIterator[ServerProcesses]:
    """`count` server processes on a fresh database (demo data as of `clock`), sharing Redis, on the real clock."""
    from services.platform.bootstrap import prepare_database

    name = f"lk_proc_{uuid.uuid4().hex[:10]}"
    await admin_execute(server_url, f'CREATE DATABASE "{name}"')
    url = make_url(to_async_url(server_url)).set(database=name).render_as_string(hide_password=False)
    db = Database.from_url(url, pool_size=2)
    processes: list[asyncio.subprocess.Process] = []
    try:
        await prepare_database(db, clock=clock, load_demo=True)
        settings = Settings(database_url=url, redis_url=redis_url, secret_key=SECRET_KEY, data_dir=tmp_path / "data")
        # The processes run on the real clock, so tokens minted for them must be too.
        runtime = Runtime(settings=settings, db=db, clock=SystemClock())
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": SECRET_KEY,
            "DATA_DIR": str(tmp_path / "data"),
            "LOG_LEVEL": "WARNING",
        }
        urls = []
        for index in range(count):
            port = free_port()
            # Each process's output is kept beside the test's files: what a failing test's servers said.
            with (tmp_path / f"server-{index}.log").open("wb") as output:
                processes.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        "server.py",
                        "--port",
                        str(port),
                        cwd=PROJECT_ROOT,
                        env=env,
                        stdout=output,
                        stderr=asyncio.subprocess.STDOUT,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        for process, process_url in zip(processes, urls, strict=True):
            await _wait_ready(process_url, process)
        yield ServerProcesses(database_url=url, urls=urls, runtime=runtime, processes=processes)
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), timeout=15)
            except TimeoutError:
                process.kill()
                await process.wait()
        await db.dispose()
        await admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def committed_database(server_url: str) -> AsyncIterator[Database]:
    """A fresh, migrated, empty database whose commits are real: for what only separate connections can show
    (row locks, SKIP LOCKED). Dropped at the end."""
    name = f"lk_committed_{uuid.uuid4().hex[:10]}"
    await admin_execute(server_url, f'CREATE DATABASE "{name}"')
    url = make_url(to_async_url(server_url)).set(database=name).render_as_string(hide_password=False)
    db = Database.from_url(url, pool_size=4)
    try:
        async with db.connection() as connection:
            await upgrade_to_head(connection)
        yield db
    finally:
        await db.dispose()
        await admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

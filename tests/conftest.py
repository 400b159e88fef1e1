"""Test infrastructure: a real PostgreSQL (DATABASE_URL, else the embedded one) holding a fresh database per test
session, migrated and loaded with the demo data; each test runs inside a transaction rolled back at its end.

Redis comes from REDIS_URL or 127.0.0.1:6379; tests that need it are skipped, with the reason, where neither answers.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.platform.clock import FrozenClock
from services.platform.database import CACHEABLE_STATEMENT_BYTES, Database, TransactionalDatabase, to_async_url
from services.platform.runtime import Runtime
from services.platform.settings import PROJECT_ROOT, Settings
from tests.support.graphql import GraphQLClient, compared_count

# The moment the tests stand at (and the demo data is generated for): a Thursday, inside no reading window.
TEST_NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _server_url() -> str:
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured
    from services.platform.embedded import start_embedded_postgres

    return start_embedded_postgres(PROJECT_ROOT / ".data" / "test")


def _asyncpg_dsn(url: str, database: str) -> str:
    return (
        make_url(to_async_url(url))
        .set(drivername="postgresql", database=database)
        .render_as_string(hide_password=False)
    )


async def _create_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(
        _asyncpg_dsn(server_url, make_url(to_async_url(server_url)).database or "postgres")
    )
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(
        _asyncpg_dsn(server_url, make_url(to_async_url(server_url)).database or "postgres")
    )
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def server_url() -> str:
    return _server_url()


@pytest_asyncio.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """A fresh database for this test session: migrated, with the demo data loaded."""
    from services.platform.bootstrap import prepare_database

    name = f"lk_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    await _create_database(server_url, name)
    url = make_url(to_async_url(server_url)).set(database=name).render_as_string(hide_password=False)
    db = Database.from_url(url, pool_size=2)
    try:
        await prepare_database(db, clock=FrozenClock(TEST_NOW), load_demo=True)
    finally:
        await db.dispose()
    yield url
    await _drop_database(server_url, name)


@pytest_asyncio.fixture
async def plain_db(database_url: str) -> AsyncIterator[Database]:
    """A production-like database object on the test database (its committed demo data): reads outside any
    transaction, pool of 2."""
    db = Database.from_url(database_url, pool_size=2)
    yield db
    await db.dispose()


@pytest_asyncio.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    # As `Database.from_url`'s: the reads' merged statements stay prepared (the round-trip counts depend on it)
    engine = create_async_engine(
        database_url,
        pool_size=5,
        max_overflow=5,
        connect_args={"max_cacheable_statement_size": CACHEABLE_STATEMENT_BYTES},
    )
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[TransactionalDatabase]:
    """The test's database: everything it (and the app under test) writes is rolled back at the end."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        db = TransactionalDatabase(engine, connection)
        try:
            yield db
        finally:
            await asyncio.wait_for(db.quiesce(), timeout=10)
            await transaction.rollback()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TEST_NOW)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url="postgresql://unused",  # the tests hand the app their own database
        redis_url=None,
        data_dir=tmp_path / "data",
    )


@pytest.fixture
def runtime(settings: Settings, db: TransactionalDatabase, clock: FrozenClock) -> Runtime:
    return Runtime(settings=settings, db=db, clock=clock)


@pytest_asyncio.fixture
async def app_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP + websocket client of the real ASGI app, with its startup and shutdown run."""
    from server import create_app, start_background, stop_background

    app = create_app(runtime, run_background=False)
    tasks = await start_background(runtime, serve_jobs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        client.app = app  # type: ignore[attr-defined]  # for websockets, see GraphQLClient.websocket
        yield client
    await stop_background(runtime, tasks)


@pytest.fixture
def gql(app_client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(app_client, app=app_client.app)  # type: ignore[attr-defined]


def _redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    url = _redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        reason = f"Redis at {url} does not answer ({error}); set REDIS_URL"
        if os.environ.get("CI"):
            pytest.fail(reason)  # CI starts Redis (.ci/run): its absence there is a failure, not a skip
        pytest.skip(reason)
    return url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many distinct queries of the run were also answered by graphql-core's execution and matched."""
    if compared_count():
        terminalreporter.write_line(f"compared with graphql-core's execution: {compared_count()} distinct queries")

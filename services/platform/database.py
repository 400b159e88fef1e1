"""Database access: one engine per process, one short-lived session per unit of work.

Sessions are never shared between concurrently running coroutines (a loader batch, a mutation, the relay each take
their own), because an asyncpg connection runs one statement at a time.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Executable, Result, event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

# Counts SQL statements per request (or per test block): N+1 shows up as a count that grows with the data.
_statement_counter: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("sql_statements", default=None)


def to_async_url(url: str) -> str:
    """Accept the usual `postgresql://` URLs and use the asyncpg driver for them."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"DATABASE_URL must be a postgresql:// URL, got {url.split(':', 1)[0]}://")


def _count_statement(*_: Any) -> None:
    counter = _statement_counter.get()
    if counter is not None:
        counter[0] += 1


@asynccontextmanager
async def count_statements() -> AsyncIterator[list[int]]:
    """Count the statements run inside the block (by this task and the tasks it starts): `counter[0]`."""
    counter = [0]
    token = _statement_counter.set(counter)
    try:
        yield counter
    finally:
        _statement_counter.reset(token)


def start_counting_statements() -> list[int]:
    counter = [0]
    _statement_counter.set(counter)
    return counter


class Database:
    """The process's engine and the way to open sessions on it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        event.listen(engine.sync_engine, "before_cursor_execute", _count_statement)

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10, echo: bool = False) -> Database:
        engine = create_async_engine(
            to_async_url(url),
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=False,
            echo=echo,
            connect_args={"server_settings": {"application_name": "lk-api", "timezone": "UTC"}},
        )
        return cls(engine)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for one unit of work; the caller commits. Rolled back if the block raises."""
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as connection:
            yield connection

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        await self.engine.dispose()


class TransactionalDatabase(Database):
    """Every session joins one outer transaction on one connection, rolled back by its owner (the tests).

    Sessions open SAVEPOINTs, so code under test may commit and roll back as in production. One connection runs one
    statement at a time, so sessions take turns: a session waits until the previous one has closed.
    """

    def __init__(self, engine: AsyncEngine, connection: AsyncConnection) -> None:
        super().__init__(engine)
        self.outer_connection = connection
        self._turn = asyncio.Lock()
        self._bound = async_sessionmaker(
            bind=connection,
            class_=AsyncSession,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._turn, self._bound() as session:
            yield session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        async with self._turn:
            yield self.outer_connection

    async def ping(self) -> None:
        async with self._turn:
            await self.outer_connection.exec_driver_sql("SELECT 1")

    async def quiesce(self) -> None:
        """Wait until no session uses the shared connection, then keep it: the owner is about to roll back.

        A websocket subscription of a test may still be loading an event when the test ends.
        """
        await self._turn.acquire()

    async def dispose(self) -> None:
        """The owner disposes the engine; the shared connection outlives the apps built on it."""


async def run(session: AsyncSession, statement: Executable, params: Mapping[str, Any] | None = None) -> Result[Any]:
    """Run a Core or text statement on a SQLModel session (its typed `exec` overloads cover ORM selects only)."""
    result: Result[Any] = await session.exec(statement, params=params)  # type: ignore[call-overload]
    return result

"""Database access: one engine per process, one short-lived session per unit of work, and plain reads on asyncpg.

Sessions are never shared between concurrently running coroutines (a mutation, the relay each take their own),
because an asyncpg connection runs one statement at a time.

Reads (the loaders) skip SQLAlchemy: `Database.fetch` runs a fixed SQL text on an asyncpg connection, prepared once
per connection by asyncpg's statement cache, outside any transaction (no BEGIN/ROLLBACK around a batch). Inside
`read_scope()` (an HTTP request) all reads take turns on one pooled connection, taken at the first read and given
back at the end; elsewhere each read borrows one for itself. Reads have a pool of their own, so that a request
holding its read connection never waits for the connection of a session, nor the other way round.

Statements are counted at the protocol level: every message exchange with the server (a simple query such as BEGIN
or ROLLBACK, a prepare, an execution) counts, whichever layer started it.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
import orjson
import sqlalchemy.exc
from sqlalchemy import Executable, Result, event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from services.platform.statement_batches import StatementQueue

# Counts round trips per request (or per test block): N+1 shows up as a count that grows with the data.
_statement_counter: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("sql_statements", default=None)
# The read connection of the current request, when it runs inside `Database.read_scope()`.
_read_lease: contextvars.ContextVar[_ReadLease | None] = contextvars.ContextVar("read_lease", default=None)

# The asyncpg protocol calls that exchange messages with the server and wait for its answer: one round trip each.
# Executions run a statement (BEGIN, ROLLBACK and SAVEPOINT included); the others prepare or close one.
_EXECUTIONS = frozenset({"query", "bind_execute", "bind_execute_many", "bind", "execute"})
_ROUND_TRIPS = _EXECUTIONS | {"prepare", "close_statement", "copy_in", "copy_out"}


# Statements up to this size stay prepared on a connection (asyncpg's default: 15 KiB). A level's merged statement
# with the subtrees PostgreSQL builds as JSON (a cabinet's statements, payments and readings pages) is 15-40 KiB:
# above the default it was prepared again at every request, a round trip and a planning each time.
CACHEABLE_STATEMENT_BYTES = 256 * 1024


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) says PostgreSQL cannot be reached, rather than that a query is wrong."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(
            error,
            OSError
            | asyncpg.PostgresConnectionError
            | asyncpg.exceptions.CannotConnectNowError
            | asyncpg.exceptions.ConnectionDoesNotExistError
            | asyncpg.exceptions.TooManyConnectionsError
            | asyncpg.InterfaceError,
        ):
            return True
        if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, sqlalchemy.exc.TimeoutError):  # no connection free in the pool
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def to_async_url(url: str) -> str:
    """Accept the usual `postgresql://` URLs and use the asyncpg driver for them."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"DATABASE_URL must be a postgresql:// URL, got {url.split(':', 1)[0]}://")


def _count(execution: bool) -> None:
    counter = _statement_counter.get()
    if counter is not None:
        counter[0] += execution
        counter[1] += 1


class _CountingProtocol:
    """Stands in for an asyncpg connection's protocol and counts the round trips made through it."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: Any) -> None:
        object.__setattr__(self, "_protocol", protocol)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._protocol, name)
        if name not in _ROUND_TRIPS:
            return attribute
        execution = name in _EXECUTIONS

        def counted(*args: Any, **kwargs: Any) -> Any:
            _count(execution)
            return attribute(*args, **kwargs)

        return counted

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._protocol, name, value)


def count_round_trips(connection: asyncpg.Connection) -> asyncpg.Connection:
    """Make the connection count its round trips (idempotent)."""
    protocol = connection._protocol  # the one place where asyncpg's messages can be seen
    if protocol is not None and not isinstance(protocol, _CountingProtocol):
        connection._protocol = _CountingProtocol(protocol)
    return connection


def _on_engine_connect(dbapi_connection: Any, _: Any) -> None:
    count_round_trips(dbapi_connection.driver_connection)


async def _driver_connection(connection: AsyncConnection) -> asyncpg.Connection:
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
    return count_round_trips(driver)


async def _set_up_read_connection(connection: asyncpg.Connection) -> None:
    count_round_trips(connection)
    for name in ("json", "jsonb"):
        await connection.set_type_codec(name, encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads,
                                        schema="pg_catalog")  # fmt: skip


async def _reset_read_connection(connection: asyncpg.Connection) -> None:
    """Reads change no session state, so a connection goes back to the pool as it is: no RESET round trip."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


class _Lender:
    """The connection a request's reads take turns on: taken at the first read, kept until the request ends."""

    __slots__ = ("connection", "db", "turn")

    def __init__(self, db: Database) -> None:
        self.db = db
        self.connection: Any = None
        self.turn = asyncio.Lock()

    @asynccontextmanager
    async def lend(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.turn:
            if self.connection is None:
                self.connection = await (await self.db.read_pool()).acquire()
            yield self.connection


class _ReadLease:
    """The one read connection of a request: taken at its first read, one round trip at a time; statements that
    meet in its queue are sent together (services/platform/statement_batches.py).

    The queue lends from a `_Lender`, not from the lease: a queue holding the lease's own method would make a cycle,
    and with it everything the request read would wait for the garbage collector (issue 15)."""

    __slots__ = ("db", "lender", "queue")

    def __init__(self, db: Database) -> None:
        self.db = db
        self.lender = _Lender(db)
        self.queue = StatementQueue(self.lender.lend)

    async def fetch(self, query: str, args: tuple[Any, ...], record_class: type[asyncpg.Record] | None) -> list[Any]:
        return await self.queue.fetch(query, args, record_class)

    async def release(self) -> None:
        if self.queue.sending is not None:
            await asyncio.wait([self.queue.sending])
        lender = self.lender
        async with lender.turn:
            if lender.connection is not None:
                connection, lender.connection = lender.connection, None
                await (await self.db.read_pool()).release(connection)


@asynccontextmanager
async def count_statements() -> AsyncIterator[list[int]]:
    """Count what the block (this task and the tasks it starts) sends to PostgreSQL, at the protocol level:
    `counter[0]` statements executed (BEGIN/ROLLBACK included), `counter[1]` round trips (prepares too: a statement
    new to a connection's statement cache costs one more)."""
    counter = [0, 0]
    token = _statement_counter.set(counter)
    try:
        yield counter
    finally:
        _statement_counter.reset(token)


@contextmanager
def not_counted() -> Iterator[None]:
    """Statements of the block are not counted (a test's own checks beside what it measures)."""
    token = _statement_counter.set(None)
    try:
        yield
    finally:
        _statement_counter.reset(token)


def start_counting_statements() -> list[int]:
    counter = [0, 0]
    _statement_counter.set(counter)
    return counter


class Database:
    """The process's engine and the way to open sessions on it."""

    def __init__(self, engine: AsyncEngine, *, read_pool_size: int = 10) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        if not event.contains(engine.sync_engine, "connect", _on_engine_connect):
            event.listen(engine.sync_engine, "connect", _on_engine_connect)
        self.read_pool_size = read_pool_size
        self._read_pool: asyncpg.Pool | None = None
        self._read_pool_opening = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10, echo: bool = False) -> Database:
        # Sessions: a fixed pool with no overflow, so that a busy moment opens no connection that is closed right
        # after (a new PostgreSQL backend per request under load); a caller waits for a free one instead.
        engine = create_async_engine(
            to_async_url(url),
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=30,
            pool_pre_ping=False,
            echo=echo,
            connect_args={
                "server_settings": {"application_name": "lk-api", "timezone": "UTC"},
                "max_cacheable_statement_size": CACHEABLE_STATEMENT_BYTES,
            },
        )
        return cls(engine, read_pool_size=pool_size)

    async def read_pool(self) -> asyncpg.Pool:
        """The pool of plain asyncpg connections the reads run on, opened on first use (on the running loop)."""
        if self._read_pool is None:
            async with self._read_pool_opening:
                if self._read_pool is None:
                    url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
                    self._read_pool = await asyncpg.create_pool(
                        url,
                        min_size=1,
                        max_size=self.read_pool_size,
                        max_inactive_connection_lifetime=600,
                        # Generic plans: a loader's statement is the same text with other ids every time, and a
                        # custom plan re-plans it at every execution (PostgreSQL's default keeps doing so when the
                        # generic plan's estimate is not cheaper): a level's merged statement of 7 reads planned in
                        # 1.1 ms and ran in 1.5 ms; with its generic plan the whole took 0.9 ms.
                        server_settings={
                            "application_name": "lk-api-reads",
                            "timezone": "UTC",
                            "plan_cache_mode": "force_generic_plan",
                        },
                        init=_set_up_read_connection,
                        # Merged statements of a level are statements of their own; a client's many shapes of query
                        # must not keep as many plans in a backend (up to 256 KiB of text each): a few hundred
                        statement_cache_size=256,
                        max_cacheable_statement_size=CACHEABLE_STATEMENT_BYTES,
                        reset=_reset_read_connection,
                    )
        return self._read_pool

    async def fetch(self, query: str, *args: Any, record_class: type[asyncpg.Record] | None = None) -> list[Any]:
        """Run one read statement (SQL text with $n parameters): its rows. No transaction, no ORM."""
        lease = _read_lease.get()
        if lease is not None and lease.db is self:
            return await lease.fetch(query, args, record_class)
        async with (await self.read_pool()).acquire() as connection:
            rows: list[Any] = await connection.fetch(query, *args, record_class=record_class)
            return rows

    @asynccontextmanager
    async def read_scope(self) -> AsyncIterator[None]:
        """All reads inside the block (and the tasks it starts) on one connection, given back at its end."""
        lease = _ReadLease(self)
        token = _read_lease.set(lease)
        try:
            yield
        finally:
            _read_lease.reset(token)
            await lease.release()

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
        if self._read_pool is not None:
            await self._read_pool.close()
            self._read_pool = None
        await self.engine.dispose()


class TransactionalDatabase(Database):
    """Every session joins one outer transaction on one connection, rolled back by its owner (the tests).

    Sessions open SAVEPOINTs, so code under test may commit and roll back as in production. One connection runs one
    statement at a time, so sessions take turns: a session waits until the previous one has closed.
    """

    def __init__(self, engine: AsyncEngine, connection: AsyncConnection) -> None:
        super().__init__(engine)
        self.outer_connection = connection
        self._reads = StatementQueue(self._lend)
        # Opened before this object existed: counted from its first use here on.
        sync_connection = connection.sync_connection
        if sync_connection is not None:
            count_round_trips(sync_connection.connection.driver_connection)  # type: ignore[arg-type]
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

    async def fetch(self, query: str, *args: Any, record_class: type[asyncpg.Record] | None = None) -> list[Any]:
        """Reads run on the outer connection too (they must see the test's uncommitted rows), in turn; statements
        that meet in the queue go together, as on a request's read connection."""
        return await self._reads.fetch(query, args, record_class)

    @asynccontextmanager
    async def _lend(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._turn:
            yield await _driver_connection(self.outer_connection)

    @asynccontextmanager
    async def read_scope(self) -> AsyncIterator[None]:
        yield

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


class ReadScope:
    """An ASGI wrapper: each HTTP request's reads run on one connection (`Database.read_scope`)."""

    def __init__(self, db: Database, app: Any) -> None:
        self.db = db
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self.db.read_scope():
            await self.app(scope, receive, send)

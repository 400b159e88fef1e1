"""Getting a process ready: the database (embedded or configured), migrations, demo data, the runtime."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from services.platform.clock import Clock, SystemClock
from services.platform.database import Database
from services.platform.migrate import upgrade_to_head
from services.platform.runtime import Runtime
from services.platform.settings import Environment, Settings


class StartupError(RuntimeError):
    """A reason not to start, said in one line."""


@dataclass(frozen=True)
class DemoCredentials:
    phone: str
    password: str


def demo_data_allowed(settings: Settings) -> bool:
    """The demo data carries published passwords (an admin's among them): development only, never production."""
    return settings.environment is Environment.DEVELOPMENT


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL when set, else the embedded PostgreSQL under the data directory (started or joined)."""
    if settings.database_url:
        return settings.database_url
    from services.platform.embedded import EmbeddedPostgresError, start_embedded_postgres

    try:
        url = start_embedded_postgres(settings.data_dir)
    except EmbeddedPostgresError as error:
        raise StartupError(str(error)) from error
    # Child processes (uvicorn workers) join the same server instead of starting their own.
    os.environ["DATABASE_URL"] = url
    return url


def resolve_database_url_soon(settings: Settings) -> Callable[[], str]:
    """`resolve_database_url` begun on a thread; call the result for the URL (it raises what the start raised).

    The embedded PostgreSQL's start (pg_ctl and psql: waiting on other processes) then overlaps the seconds of CPU
    this thread spends importing the app. The other thread only runs processes: whatever it imports is imported here
    first, as two threads importing the same modules have seen them half-initialised. A new cluster (initdb, and as
    root the embedded-postgres package's helpers) is made here, before anything else.
    """
    if settings.database_url or not (settings.data_dir / "postgres" / "PG_VERSION").exists():
        url = resolve_database_url(settings)
        return lambda: url
    import orjson  # noqa: F401  (embedded.py's, on the other thread)
    import psutil  # noqa: F401

    import services.platform.embedded  # noqa: F401

    outcome: list[str | BaseException] = []

    def start() -> None:
        try:
            outcome.append(resolve_database_url(settings))
        except BaseException as error:  # noqa: BLE001  (handed to the thread that waits)
            outcome.append(error)

    # Not a daemon: a Ctrl-C meanwhile lets the start finish, and this process leaves PostgreSQL as usual at exit.
    thread = threading.Thread(target=start, name="embedded-postgres")
    thread.start()

    def wait() -> str:
        thread.join()
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    return wait


def describe_connection_error(error: BaseException) -> str:
    root = error
    while root.__cause__ is not None:
        root = root.__cause__
    orig = getattr(error, "orig", None)
    text = str(orig or root).strip().splitlines()[0] if str(orig or root).strip() else type(root).__name__
    return f"cannot connect to the database: {text}"


async def open_database(url: str, *, pool_size: int = 10) -> Database:
    try:
        db = Database.from_url(url, pool_size=pool_size)
    except ValueError as error:  # not a postgresql:// URL
        raise StartupError(str(error)) from error
    try:
        await asyncio.wait_for(db.ping(), timeout=10)
    except (OSError, TimeoutError, DBAPIError, InterfaceError, OperationalError, asyncpg.PostgresError) as error:
        await db.dispose()
        raise StartupError(describe_connection_error(error)) from error
    return db


async def prepare_database(db: Database, *, clock: Clock, load_demo: bool) -> bool:
    """Migrate; load the demo data set when the database is empty. True when demo data was loaded now."""
    async with db.connection() as connection:
        await upgrade_to_head(connection)
    if not load_demo:
        return False
    from services.demo import DatabaseNotEmptyError, database_is_empty, load_demo_data

    if await database_is_empty(db=db):
        try:
            await load_demo_data(db=db, clock=clock)
        except DatabaseNotEmptyError:  # another process started at the same moment and loaded it first
            return False
        return True
    return False


# The garbage collector's thresholds in a serving process: a young collection every 10,000 net container allocations
# (CPython: 700), an older one every 3 of the younger (CPython: 10). A cabinet request makes tens of thousands of
# short-lived containers (result dicts, lists, paths, futures) that reference counting frees at its end; at 700 the
# collector ran dozens of times per request and promoted what was in flight to the older generations, whose full
# passes followed (10 % of a worker's CPU in gc_collect_main under load; in process, 1 client: 7.9-9.9 ms of CPU per
# request against 10.2-11.7). The older generations every 3, not 10: the cycles promoted with the requests in flight are
# freed as soon as at CPython's thresholds (16 clients: 141-143 MB of RSS, as at 700/10/10; 151-152 MB at 10,000/10/10).
COLLECTION_THRESHOLDS = (10_000, 3, 3)


def tune_garbage_collector() -> None:
    gc.set_threshold(*COLLECTION_THRESHOLDS)


def build_runtime(settings: Settings, db: Database, *, clock: Clock | None = None) -> Runtime:
    tune_garbage_collector()  # every process that serves or works builds its runtime once, here
    redis = None
    if settings.redis_url:
        import redis.asyncio as aioredis

        # A Redis that does not answer must cost a request a moment, not the OS's connect timeout (limits then fall
        # back to PostgreSQL, see services/identity/limits.py).
        redis = aioredis.from_url(settings.redis_url, socket_connect_timeout=1)
    return Runtime(settings=settings, db=db, clock=clock or SystemClock(), redis=redis)


# The largest websocket message a client may send (graphql-transport-ws messages are small; issue 13).
WS_MAX_MESSAGE_BYTES = 64 * 1024


def uvicorn_options(settings: Settings) -> dict[str, object]:
    """How `server.py` runs uvicorn: our logging (not uvicorn's config), the fast loop, parser and websockets."""
    return {
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers if settings.workers > 1 else None,
        "timeout_worker_healthcheck": settings.worker_healthcheck_timeout,
        "log_config": None,
        "access_log": False,
        # websockets-sansio, without the handshake kept for the socket's life (services/platform/websocket_protocol.py)
        "ws": "services.platform.websocket_protocol:LeanWebSocketsSansIOProtocol",
        "ws_max_size": WS_MAX_MESSAGE_BYTES,  # a bigger websocket message closes the socket (1009)
        # No permessage-deflate: its zlib state costs ~45 KB per socket (5,000 sockets: issue 15) to shrink messages
        # of a few hundred bytes.
        "ws_per_message_deflate": False,
        "loop": "uvloop",
        "http": "httptools",
        "lifespan": "on",
        # Said, not guessed from the app: `server.app_from_environment`'s app is a plain function returning the
        # coroutine (no frame of its own per websocket), which uvicorn's guess would take for ASGI 2.
        "interface": "asgi3",
    }


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise StartupError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error

"""The customer-portal GraphQL API server, and its command-line tasks.

uv run server.py                      serve (embedded PostgreSQL and demo data when DATABASE_URL is unset)
uv run server.py migrate              apply migrations
uv run server.py demo-accounts        unlinked demo accounts with their activation codes, as JSON
uv run server.py seed --accounts N    a large data set for benchmarks
uv run server.py create-staff …       a member of staff
uv run server.py worker               background processors without HTTP
uv run server.py export-schema        write schema.graphql
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import structlog
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from services.platform.bootstrap import (
    StartupError,
    build_runtime,
    check_port_free,
    open_database,
    prepare_database,
    resolve_database_url,
)
from services.platform.logs import configure_logging
from services.platform.runtime import Runtime
from services.platform.settings import Settings, get_settings

log = structlog.get_logger("server")
access_log = structlog.get_logger("access")


class RequestIdMiddleware:
    """Binds a request id (the client's X-Request-ID or a new one) to every log line of the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode()[:64] or uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http" and scope.get("path") not in ("/healthz", "/readyz"):
                elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
                access_log.info("request", method=scope["method"], path=scope["path"], status=status, ms=elapsed_ms)
            structlog.contextvars.unbind_contextvars("request_id")


def create_app(runtime: Runtime, *, run_background: bool = True) -> Starlette:
    """The ASGI app on a ready runtime (tests build it on a transactional database)."""
    from resolvers.files.routes import file_routes
    from resolvers.payments.callback import payment_callback
    from resolvers.root import schema
    from schema.core.view import GraphQLView
    from services.platform.background import start_background, stop_background

    graphql = GraphQLView(schema, runtime)

    async def healthz(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> JSONResponse:
        try:
            await asyncio.wait_for(runtime.db.ping(), timeout=2)
        except Exception as error:  # noqa: BLE001 - any failure means "not ready", said in the body
            return JSONResponse({"status": "unavailable", "database": type(error).__name__}, status_code=503)
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        tasks = await start_background(runtime, serve_jobs=run_background)
        try:
            yield
        finally:
            await stop_background(runtime, tasks)

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *file_routes(),  # signed file downloads, the contract access application template
            Route("/payments/callback/{provider}", payment_callback, methods=["POST"]),  # signed provider callbacks
        ],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.add_middleware(RequestIdMiddleware)
    return app


def app_from_environment() -> ASGIApp:
    """The app of one uvicorn worker: it opens its own pool on the database the parent prepared."""
    settings = get_settings()
    state: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if "app" not in state:
            # The engine must be created on the worker's own event loop, so the app is built on first use.
            db = await open_database(resolve_database_url(settings))
            state["app"] = create_app(build_runtime(settings, db))
        await state["app"](scope, receive, send)

    return app


# ---------------------------------------------------------------- command line


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


async def _with_database(settings: Settings, task: Callable[[Runtime], Awaitable[None]], *, demo: bool) -> None:
    db = await open_database(resolve_database_url(settings))
    try:
        runtime = build_runtime(settings, db)
        await prepare_database(db, clock=runtime.clock, load_demo=demo)
        await task(runtime)
    finally:
        await db.dispose()


def serve(settings: Settings) -> None:
    import uvicorn

    check_port_free(settings.host, settings.port)

    async def nothing_more(_: Runtime) -> None:
        return None

    # Migrate and load the demo data before the workers start, so that they find the database ready.
    asyncio.run(_with_database(settings, nothing_more, demo=True))
    from services.demo import DEMO_PASSWORD, DEMO_PHONE

    database = "PostgreSQL at DATABASE_URL" if settings.database_url else f"embedded PostgreSQL in {settings.data_dir}"
    print(f"Customer portal API: http://{settings.host}:{settings.port}/graphql  (GraphiQL in a browser)", flush=True)
    print(f"Database: {database}; events: {'Redis' if settings.redis_url else 'in-process'}", flush=True)
    print(f"Demo customer: phone {DEMO_PHONE}, password {DEMO_PASSWORD}", flush=True)
    from schema.core.ws_caps import MAX_MESSAGE_BYTES as WS_MAX_MESSAGE_BYTES

    uvicorn.run(
        "server:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers if settings.workers > 1 else None,
        log_config=None,
        access_log=False,
        ws="websockets-sansio",
        ws_max_size=WS_MAX_MESSAGE_BYTES,  # a bigger websocket message closes the socket (1009)
        loop="uvloop",
        http="httptools",
        lifespan="on",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="server.py", description="Customer portal GraphQL API")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the API (the default)")
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("demo-accounts", help="print unlinked demo accounts and their activation codes as JSON")
    seed = commands.add_parser("seed", help="generate a large data set for benchmarks")
    seed.add_argument("--accounts", type=int, required=True)
    staff = commands.add_parser("create-staff", help="create a member of staff")
    staff.add_argument("--phone", required=True)
    staff.add_argument("--role", required=True, choices=["OPERATOR", "ANALYST", "ADMIN"])
    staff.add_argument("--password")
    staff.add_argument("--name")
    token = commands.add_parser("create-service-token", help="create an integration's token (printed once)")
    token.add_argument("--name", required=True)
    token.add_argument("--scope", action="append", default=[], dest="scopes")
    commands.add_parser("worker", help="run the background processors without HTTP")
    commands.add_parser("export-schema", help="write schema.graphql")
    args = parser.parse_args(argv)

    overrides: dict[str, Any] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        invalid = error.errors()[0]
        where = ".".join(str(part) for part in invalid["loc"]).upper()
        _fail(f"bad setting {where}: {invalid['msg']}")
    configure_logging(level=settings.log_level, json=settings.log_format == "json")
    problem = settings.production_problem()
    if problem:
        _fail(f"refusing to start in production: {problem}")
    if settings.workers > 1 and not settings.redis_url:
        _fail("WORKERS > 1 needs REDIS_URL: subscriptions fan out through Redis between processes")

    from services import cli

    handlers: dict[str | None, Callable[[], None]] = {
        None: lambda: serve(settings),
        "serve": lambda: serve(settings),
        "migrate": lambda: asyncio.run(_with_database(settings, cli.report_migrated, demo=False)),
        "demo-accounts": lambda: asyncio.run(_with_database(settings, cli.print_demo_accounts, demo=True)),
        "seed": lambda: asyncio.run(
            _with_database(settings, lambda rt: cli.seed(rt, accounts=args.accounts), demo=False)
        ),
        "create-staff": lambda: asyncio.run(
            _with_database(
                settings,
                lambda rt: cli.create_staff(
                    rt, phone=args.phone, role=args.role, password=args.password, name=args.name
                ),
                demo=False,
            )
        ),
        "create-service-token": lambda: asyncio.run(
            _with_database(
                settings, lambda rt: cli.create_service_token(rt, name=args.name, scopes=args.scopes), demo=False
            )
        ),
        "worker": lambda: asyncio.run(_with_database(settings, cli.run_worker, demo=False)),
        "export-schema": cli.export_schema,
    }
    try:
        handlers[args.command]()
    except StartupError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

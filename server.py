"""The customer-portal GraphQL API server: the ASGI app on a runtime, and the entry point of the command line.

uv run server.py                      serve (embedded PostgreSQL and demo data when DATABASE_URL is unset)
uv run server.py <command> …          the other tasks (migrate, demo-accounts, seed, create-staff, worker, …): `cli.py`
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from services.platform.bootstrap import build_runtime, open_database, resolve_database_url
from services.platform.runtime import Runtime
from services.platform.settings import get_settings

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
    from services.platform.database import ReadScope

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
            Route("/graphql", ReadScope(runtime.db, graphql), methods=["GET", "POST"]),  # one read connection
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


def main(argv: list[str] | None = None) -> None:
    """`uv run server.py [command]`: the command line lives in `cli.py`."""
    from cli import main as run_command_line

    run_command_line(argv)


if __name__ == "__main__":
    main()

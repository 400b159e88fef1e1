"""The customer-portal GraphQL API server: the ASGI app on a runtime, and the entry point of the command line.

uv run server.py                      serve (embedded PostgreSQL and demo data when DATABASE_URL is unset)
uv run server.py <command> …          the other tasks (migrate, demo-accounts, seed, create-staff, worker, …): `cli.py`
"""

from __future__ import annotations

import gc

if __name__ == "__main__":
    from services.platform.console_imports import keep_rich_out_for_json_logs
    from services.platform.interrupts import quiet_interrupts

    # From the first import on: the collector off (starting makes hundreds of thousands of long-lived objects and next
    # to no garbage; on again once the app is built, or by `cli.main` for the other commands), and a Ctrl-C while
    # starting stops the process with one line instead of a traceback.
    gc.disable()
    quiet_interrupts()
    keep_rich_out_for_json_logs()  # before structlog is imported (services/platform/console_imports.py)

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Collection
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from services.analytics.rollups import ROLLUP_SECONDS
from services.analytics.rollups import refresh_once as refresh_analytics_rollups
from services.billing.jobs import close_once
from services.ereceipts.queue import queue_e_receipts
from services.errors import DomainError
from services.events.broker import start_broker, stop_broker
from services.events.relay import listen_for_commits, listen_for_numbered, relay_once
from services.identity.cost_ledger import start_cost_ledger, stop_cost_ledger
from services.identity.guard import start_session_guard, stop_session_guard
from services.identity.limits import sweep_rate_limit_counters
from services.messaging.delivery import deliver_pending, listen_for_queued
from services.messaging.delivery import next_due as next_delivery_due
from services.payments.notifications import settle_stale_payments
from services.platform.background import Background, Job
from services.platform.bootstrap import build_runtime, open_database, resolve_database_url
from services.platform.heap import keeper as heap_keeper
from services.platform.heap import trim as heap_trim
from services.platform.logs import configure_logging
from services.platform.runtime import Runtime
from services.platform.settings import get_settings
from services.readings.processing import listen_for_submissions, process_once

log = structlog.get_logger("server")
access_log = structlog.get_logger("access")

# The background part of every process: beside HTTP in the server, alone in `server.py worker`. Every job and hook is
# listed here; nothing registers itself by being imported.
BACKGROUND = Background(
    # The guard listens for revocations through the broker; the cost ledger sends queries' charges together.
    startup=[start_broker, start_session_guard, start_cost_ledger],
    shutdown=[stop_cost_ledger, stop_session_guard, stop_broker],
    jobs=[
        # Runs when a transaction that wrote events commits (PostgreSQL NOTIFY): events reach every process at once.
        # Listening, it polls only every minute as a fallback; while not (PostgreSQL away), every 100 ms. The jobs
        # woken so share one listening connection; idle, a process makes no statements (issue 15).
        Job(
            name="outbox-relay",
            run_once=relay_once,
            idle_seconds=0.1,
            wake=listen_for_commits,
            woken_idle_seconds=60.0,
        ),
        Job(name="deliver-messages", run_once=deliver_pending, wake=listen_for_queued, due=next_delivery_due),
        Job(name="reading-processor", run_once=process_once, idle_seconds=0.5, wake=listen_for_submissions),
        Job(name="sweep-rate-limits", run_once=sweep_rate_limit_counters, idle_seconds=300),
        # statement.issued → e-receipt emails (one INSERT … SELECT per batch of events); they leave by deliver-messages.
        Job(name="e-receipts", run_once=queue_e_receipts, idle_seconds=2, wake=listen_for_numbered),
        # Payments PENDING past PAYMENT_PENDING_TIMEOUT_MINUTES read back from the provider; once a minute is plenty.
        Job(name="settle-stale-payments", run_once=settle_stale_payments, idle_seconds=60),
        # The 1st of the month from BILLING_CLOSE_TIME (Moscow): the month just ended; off with BILLING_MODE=external.
        Job(name="billing-close", run_once=close_once, idle_seconds=60),
        Job(name="analytics-rollups", run_once=refresh_analytics_rollups, idle_seconds=ROLLUP_SECONDS),
    ],
)


async def start_background(
    runtime: Runtime, *, serve_jobs: bool = True, exclude: Collection[str] = ()
) -> list[asyncio.Task[None]]:
    """Start the process's background part: the start-up hooks, then the jobs (none when `serve_jobs` is false,
    as in tests, which run each job's tick themselves). Stop it with `stop_background`."""
    return await BACKGROUND.start(runtime, serve_jobs=serve_jobs, exclude=exclude)


async def stop_background(runtime: Runtime, tasks: list[asyncio.Task[None]]) -> None:
    await BACKGROUND.stop(runtime, tasks)


def _request_id(scope: Scope) -> str:
    """The client's X-Request-ID (at most 64 characters) or a new one."""
    headers = dict(scope.get("headers") or [])
    return headers.get(b"x-request-id", b"").decode()[:64] or secrets.token_hex(16)  # uuid4's cost, halved


class RequestIdMiddleware:
    """Binds a request id (the client's X-Request-ID or a new one) to every log line of the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        if scope["type"] == "websocket":
            # Nothing to add to its messages: no wrapper of `send` kept for the socket's life (issue 15).
            try:
                await self.app(scope, receive, send)
            finally:
                structlog.contextvars.unbind_contextvars("request_id")
            return
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


def create_app(runtime: Runtime, *, run_background: bool = True) -> ASGIApp:
    """The ASGI app on a ready runtime (tests build it on a transactional database)."""
    from resolvers.files.isu_routes import isu_routes
    from resolvers.files.routes import file_routes
    from resolvers.http_errors import domain_error_response
    from resolvers.payments.routes import payment_routes
    from resolvers.root import schema
    from schema.core.graphiql import graphiql_routes
    from schema.core.view import GraphQLView
    from services.platform.database import ReadScope
    from services.platform.http import NoStoreForCredentials, readiness, with_cors
    from services.platform.observability import (
        RequestObserver,
        install_operation_observer,
        metrics_endpoint,
        observing,
    )
    from services.platform.websocket_lane import GraphQLWebSocketLane

    graphql = GraphQLView(schema, runtime)
    graphql_socket = WebSocketRoute("/graphql", graphql)

    async def healthz(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> JSONResponse:
        checks = await readiness(runtime)  # every configured dependency: the database, Redis
        failed = {name: state for name, state in checks.items() if state != "ok"}
        if failed:
            return JSONResponse({"status": "unavailable", **failed}, status_code=503)
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with observing(runtime, schema):  # metrics sampler, tracing when configured
            tasks = await start_background(runtime, serve_jobs=run_background)
            try:
                yield
            finally:
                await stop_background(runtime, tasks)

    app = Starlette(
        routes=[
            Route("/graphql", ReadScope(runtime.db, graphql), methods=["GET", "POST"]),  # one read connection
            graphql_socket,
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),  # Prometheus; all workers' samples
            *file_routes(),  # signed file downloads, the contract access application template
            *payment_routes(),  # provider callbacks and notifications, the pay pages
            *isu_routes(),  # smart-meter and analytics downloads, the head-end's batches
            *graphiql_routes(),  # GraphiQL's pinned assets (static/graphiql/), cached for a year
        ],
        lifespan=lifespan,
        exception_handlers={DomainError: domain_error_response},  # the HTTP routes' one translation
    )
    app.state.runtime = runtime
    app.add_middleware(NoStoreForCredentials)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(RequestObserver)
    install_operation_observer(schema)
    # CORS outermost: a refused preflight never reaches the app. The GraphQL websocket goes around the layers that
    # only pass it on (services/platform/websocket_lane.py): the same observer and request id, then the view.
    return GraphQLWebSocketLane(
        with_cors(app, runtime.settings),
        starlette=app,
        route=graphql_socket,
        layers=[RequestObserver, RequestIdMiddleware],
    )


def app_from_environment() -> ASGIApp:
    """The app of one uvicorn worker: it opens its own pool on the database the parent prepared."""
    settings = get_settings()
    # A uvicorn worker is a new interpreter: it logs in the configured format only once it is told so.
    configure_logging(level=settings.log_level, json=settings.log_format == "json")
    state: dict[str, Any] = {}

    async def build_then_call(scope: Scope, receive: Receive, send: Send) -> None:
        if "app" not in state:
            # The engine must be created on the worker's own event loop, so the app is built on first use.
            gc.disable()  # building it makes hundreds of thousands of objects and next to no garbage
            db = await open_database(resolve_database_url(settings))
            state["app"] = create_app(build_runtime(settings, db))
            # What exists now lives as long as the process: the collector's full passes (a third of a second each on
            # this heap) leave it out from now on.
            gc.freeze()
            gc.enable()
            heap_trim()  # what start-up freed below the top of the heap (services/platform/heap.py)
            # And what the websockets keep, a moment after they open (services/platform/heap.py, issue 15).
            heap_keeper.enable()
        await state["app"](scope, receive, send)

    def app(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Once built, the app's own coroutine: no frame of this wrapper held for each websocket's life (issue 15).
        # uvicorn is told the interface (`uvicorn_options`): it would take a plain function for ASGI 2.
        built: ASGIApp | None = state.get("app")
        return built(scope, receive, send) if built is not None else build_then_call(scope, receive, send)

    return app


def main(argv: list[str] | None = None) -> None:
    """`uv run server.py [command]`: the command line lives in `cli.py`."""
    from cli import main as run_command_line

    run_command_line(argv)


if __name__ == "__main__":
    main()

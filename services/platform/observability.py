"""Metrics (Prometheus, `GET /metrics`) and traces (OpenTelemetry, when OTEL_EXPORTER_OTLP_ENDPOINT is set).

Metrics: GraphQL operations' duration by name and type, errors by code, database pool use, websocket connections and
subscriptions, the outbox and delivery backlogs, background job runs. With several uvicorn workers each process writes
its samples to PROMETHEUS_MULTIPROC_DIR (set by `server.py` before the workers start) and `/metrics` adds them up, so
any worker answers for all.

Traces: a span per HTTP request, a child per GraphQL operation, and a grandchild per SQL statement, exported over OTLP
(the exporter reads the standard OTEL_* variables).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST as PROMETHEUS_CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from sqlalchemy import event
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from services.platform import statement_batches
from services.platform.runtime import Runtime

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer

log = structlog.get_logger("observability")

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_OPERATION_NAMES = 500  # operation names are the client's choice: beyond this many, new ones count as "other"

OPERATION_SECONDS = Histogram(
    "lk_graphql_operation_duration_seconds",
    "GraphQL queries and mutations by operation name and type",
    ["operation_name", "operation_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ERRORS = Counter("lk_graphql_errors_total", "GraphQL errors by code", ["code"])
HTTP_REQUESTS = Counter("lk_http_requests_total", "HTTP requests by path group and status", ["path", "status"])
WEBSOCKETS = Gauge("lk_websocket_connections", "Open websocket connections", multiprocess_mode="livesum")
SUBSCRIPTIONS = Gauge("lk_graphql_subscriptions", "Active GraphQL subscriptions", multiprocess_mode="livesum")
POOL_IN_USE = Gauge("lk_db_pool_connections_in_use", "Database connections checked out", multiprocess_mode="livesum")
POOL_OPEN = Gauge("lk_db_pool_connections_open", "Database connections open in the pools", multiprocess_mode="livesum")
# Counted in the database when /metrics is scraped (not polled: an idle process makes no statements, issue 15); the
# worker that answers the scrape has the newest count.
OUTBOX_BACKLOG = Gauge(
    "lk_outbox_unpublished_events", "Committed events not yet published", multiprocess_mode="mostrecent"
)
DELIVERY_BACKLOG = Gauge(
    "lk_outbound_messages_pending", "SMS and email waiting for delivery", multiprocess_mode="mostrecent"
)
JOB_RUNS = Counter(
    "lk_job_runs_total", "Background job ticks by job and outcome (worked, idle, failed)", ["job", "outcome"]
)

_names: set[str] = set()
_tracer: Tracer | None = None


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if not OPERATION_NAME.match(name):
        return "other"
    if name not in _names:
        if len(_names) >= MAX_OPERATION_NAMES:
            return "other"
        _names.add(name)
    return name


def error_code(error: Any) -> str:
    code = (getattr(error, "extensions", None) or {}).get("code")
    if code:
        return str(code)
    return "GRAPHQL_VALIDATION_FAILED" if getattr(error, "original_error", None) is None else "INTERNAL_SERVER_ERROR"


class OperationObserver(SchemaExtension):
    """Times each query and mutation, counts errors and live subscriptions, and (when tracing) wraps it in a span.

    For a subscription, strawberry's operation lasts as long as the subscription: it is counted, not timed.
    """

    subscribed = False

    def on_validate(self) -> Iterator[None]:
        yield
        with contextlib.suppress(RuntimeError, AttributeError):
            if self.execution_context.operation_type.value == "subscription" and not self.subscribed:
                self.subscribed = True
                SUBSCRIPTIONS.inc()

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        started = time.perf_counter()
        span_cm = _tracer.start_as_current_span("graphql.operation") if _tracer else contextlib.nullcontext()
        with span_cm as span:
            try:
                yield
            finally:
                if self.subscribed:
                    SUBSCRIPTIONS.dec()
            name = operation_label(context.operation_name)
            try:
                kind = context.operation_type.value
            except (RuntimeError, AttributeError):  # the document did not parse
                kind = "unknown"
            if not self.subscribed:
                OPERATION_SECONDS.labels(name, kind).observe(time.perf_counter() - started)
            errors = list(getattr(context.result, "errors", None) or context.pre_execution_errors or [])
            for error in errors:
                ERRORS.labels(error_code(error)).inc()
            if span is not None:
                span.update_name(f"{kind} {name}")
                span.set_attribute("graphql.operation.name", name)
                span.set_attribute("graphql.operation.type", kind)
                if errors:
                    span.set_attribute("graphql.errors", len(errors))


def install_operation_observer(schema: Any) -> None:
    """Add the observer to the assembled schema's extensions (once per process)."""
    if OperationObserver not in schema.extensions:
        schema.extensions = (*schema.extensions, OperationObserver)


class RequestObserver:
    """Counts HTTP requests and open websockets; when tracing, a server span per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            WEBSOCKETS.inc()
            try:
                await self.app(scope, receive, send)
            finally:
                WEBSOCKETS.dec()
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        path = scope["path"] if scope["path"] in ("/graphql", "/healthz", "/readyz", "/metrics") else "other"
        span_cm = _server_span(scope) if _tracer else contextlib.nullcontext()
        try:
            with span_cm as span:
                await self.app(scope, receive, send_status)
                if span is not None:
                    span.set_attribute("http.response.status_code", status)
        finally:
            HTTP_REQUESTS.labels(path, str(status)).inc()


def _server_span(scope: Scope) -> Any:
    from opentelemetry.trace import SpanKind

    assert _tracer is not None
    return _tracer.start_as_current_span(
        f"{scope['method']} {scope['path']}",
        kind=SpanKind.SERVER,
        attributes={"http.request.method": scope["method"], "url.path": scope["path"]},
    )


def observe_job(name: str, done: int | None) -> None:
    """A job tick: `done` items (0: idle), None: it failed."""
    JOB_RUNS.labels(name, "failed" if done is None else "worked" if done else "idle").inc()


async def metrics_endpoint(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        await sample_backlogs(runtime)
    except Exception:  # the database away: the other metrics still answer, the backlogs keep their last count
        log.warning("backlogs not counted", exc_info=True)
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return Response(body, media_type=PROMETHEUS_CONTENT_TYPE)


async def sample_forever(runtime: Runtime, *, every: float = 5) -> None:
    """Pool use is a state of each process, read every few seconds without a statement (a callback gauge cannot
    work across processes)."""
    while True:
        try:
            sample_pool(runtime)
        except Exception:
            log.warning("metrics sample failed", exc_info=True)
        await asyncio.sleep(every)


def sample_pool(runtime: Runtime) -> None:
    pool: Any = runtime.db.engine.pool
    if hasattr(pool, "checkedout"):
        POOL_IN_USE.set(pool.checkedout())
        POOL_OPEN.set(pool.checkedout() + pool.checkedin())


async def sample_backlogs(runtime: Runtime) -> None:
    """The events not yet published and the messages not yet sent, counted now (at a scrape)."""
    async with runtime.db.connection() as connection:
        unpublished = await connection.exec_driver_sql("SELECT count(*) FROM outbox_event WHERE published_at IS NULL")
        OUTBOX_BACKLOG.set(unpublished.scalar_one())
        pending = await connection.exec_driver_sql("SELECT count(*) FROM outbound_message WHERE status = 'PENDING'")
        DELIVERY_BACKLOG.set(pending.scalar_one())


def mark_process_dead() -> None:
    """A worker that stops takes its live gauges (websockets, subscriptions, pool) out of the sums."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


# ---------------------------------------------------------------- tracing


def setup_tracing(runtime: Runtime, *, exporter: SpanExporter | None = None) -> TracerProvider | None:
    """Trace when OTEL_EXPORTER_OTLP_ENDPOINT is set (or an exporter is given, in tests); None when not tracing."""
    global _tracer  # noqa: PLW0603 - one tracer per process, read by the middleware, the extension and SQL events
    if exporter is None and not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "lk-api")}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    _tracer = provider.get_tracer("lk-api")
    _trace_sql(runtime)
    statement_batches.READ_SPAN = _read_span
    return provider


def stop_tracing(provider: TracerProvider | None, runtime: Runtime) -> None:
    global _tracer  # noqa: PLW0603
    _tracer = None
    statement_batches.READ_SPAN = None
    engine = runtime.db.engine.sync_engine
    for name, listener in ((("before_cursor_execute", _sql_started)), ("after_cursor_execute", _sql_ended)):
        if event.contains(engine, name, listener):
            event.remove(engine, name, listener)
    if provider is not None:
        provider.shutdown()


def _sql_span_name(statement: str) -> str:
    return statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"


def _read_span(statement: str) -> contextlib.AbstractContextManager[object]:
    """A span around one of the loaders' reads, a child of the operation that asked for it."""
    if _tracer is None:
        return contextlib.nullcontext()
    from opentelemetry.trace import SpanKind

    return _tracer.start_as_current_span(
        _sql_span_name(statement),
        kind=SpanKind.CLIENT,
        attributes={"db.system.name": "postgresql", "db.query.text": statement[:2000]},
    )


def _sql_started(*args: Any) -> None:
    # SQLAlchemy's before_cursor_execute(conn, cursor, statement, parameters, context, executemany)
    statement, context = args[2], args[4]
    if _tracer is None or context is None:
        return
    from opentelemetry.trace import SpanKind

    span = _tracer.start_span(
        _sql_span_name(statement),
        kind=SpanKind.CLIENT,
        attributes={"db.system.name": "postgresql", "db.query.text": statement[:2000]},
    )
    context._lk_span = span


def _sql_ended(*args: Any) -> None:
    context = args[4]
    span = getattr(context, "_lk_span", None)
    if span is not None:
        span.end()
        context._lk_span = None


def _trace_sql(runtime: Runtime) -> None:
    engine = runtime.db.engine.sync_engine
    if not event.contains(engine, "before_cursor_execute", _sql_started):
        event.listen(engine, "before_cursor_execute", _sql_started)
        event.listen(engine, "after_cursor_execute", _sql_ended)


@contextlib.asynccontextmanager
async def observing(runtime: Runtime, schema: Any) -> AsyncIterator[None]:
    """What a serving process runs for observability: the schema's observer, tracing if configured, the sampler."""
    install_operation_observer(schema)
    provider = setup_tracing(runtime)
    sampler = asyncio.create_task(sample_forever(runtime), name="metrics-sampler")
    try:
        yield
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        stop_tracing(provider, runtime)
        mark_process_dead()

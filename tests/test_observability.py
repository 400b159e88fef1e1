"""`/metrics` (Prometheus) counts operations, errors, websockets and subscriptions, across workers too; traces link
the request, the operation and its SQL."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.platform.runtime import Runtime
from services.platform.settings import PROJECT_ROOT
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.tmp import private_directory
from tests.test_command_line import base_env, free_port


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition `text` (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


async def metrics(client: httpx.AsyncClient) -> str:
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return answer.text


async def test_an_operation_is_timed_by_name_and_type_and_its_errors_counted_by_code(
    app_client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    gql = gql.uncompared()  # one execution per request, as the server counts it
    before = await metrics(app_client)

    await gql.post("query CabinetProbe { __typename }")
    await gql.post("query AnonymousMe { me { id } }")
    await gql.post("{ nope }")
    after = await metrics(app_client)

    count = "lk_graphql_operation_duration_seconds_count"
    assert (
        sample(after, count, operation_name="CabinetProbe", operation_type="query")
        - sample(before, count, operation_name="CabinetProbe", operation_type="query")
        == 1
    )
    for code in ("UNAUTHENTICATED", "GRAPHQL_VALIDATION_FAILED"):
        assert (
            sample(after, "lk_graphql_errors_total", code=code) - sample(before, "lk_graphql_errors_total", code=code)
            == 1
        )
    assert (
        sample(after, "lk_http_requests_total", path="/graphql", status="200")
        - sample(before, "lk_http_requests_total", path="/graphql", status="200")
        == 3
    )


async def test_a_websocket_and_its_subscription_are_counted_while_open(
    app_client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime
) -> None:
    token = await token_for(runtime, await create_customer(runtime.db, now=runtime.clock.now()))
    before = await metrics(app_client)

    async with gql.websocket(token=token) as socket:
        await socket.subscribe("subscription { appealMessageAdded { eventId } }")
        for _ in range(50):
            during = await metrics(app_client)
            if sample(during, "lk_graphql_subscriptions") > sample(before, "lk_graphql_subscriptions"):
                break
            await asyncio.sleep(0.1)
    for _ in range(50):
        after = await metrics(app_client)
        if sample(after, "lk_websocket_connections") == sample(before, "lk_websocket_connections"):
            break
        await asyncio.sleep(0.1)

    assert sample(during, "lk_websocket_connections") - sample(before, "lk_websocket_connections") == 1
    assert sample(during, "lk_graphql_subscriptions") - sample(before, "lk_graphql_subscriptions") == 1
    assert sample(after, "lk_websocket_connections") == sample(before, "lk_websocket_connections")
    assert sample(after, "lk_graphql_subscriptions") == sample(before, "lk_graphql_subscriptions")


async def test_pool_use_and_backlogs_are_sampled(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    from services.platform.observability import sample_pool

    await runtime.db.ping()
    sample_pool(runtime)
    text = await metrics(app_client)

    for name in (
        "lk_db_pool_connections_in_use",
        "lk_db_pool_connections_open",
        "lk_outbox_unpublished_events",
        "lk_outbound_messages_pending",
    ):
        assert any(s.name == name for f in text_string_to_metric_families(text) for s in f.samples), name


async def test_backlogs_are_counted_at_the_scrape(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    """No poll: a message queued just now is in the very next scrape's count."""
    before = sample(await metrics(app_client), "lk_outbound_messages_pending")
    async with runtime.db.connection() as connection:
        await connection.exec_driver_sql(
            "INSERT INTO outbound_message (channel, sender, recipient, body, kind, status, attempts, created_at) "
            "VALUES ('SMS', 'EnergoSbyt', '+79210000099', 'код 1234', 'SIGN_UP_CODE', 'PENDING', 0, now())"
        )
    after = sample(await metrics(app_client), "lk_outbound_messages_pending")
    assert after == before + 1


def test_job_runs_are_counted_by_outcome() -> None:
    from prometheus_client import REGISTRY

    from services.platform.observability import observe_job

    def value(outcome: str) -> float:
        return REGISTRY.get_sample_value("lk_job_runs_total", {"job": "probe", "outcome": outcome}) or 0.0

    before = [value(o) for o in ("worked", "idle", "failed")]
    observe_job("probe", 3)
    observe_job("probe", 0)
    observe_job("probe", 0)
    observe_job("probe", None)

    assert [value(o) - b for o, b in zip(("worked", "idle", "failed"), before, strict=True)] == [1, 2, 1]


@pytest.fixture
def two_workers(database_url: str, redis_url: str) -> Iterator[int]:
    port = free_port()
    with private_directory("lk-metrics-") as directory:
        process = subprocess.Popen(
            [sys.executable, "server.py", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=base_env(directory, DATABASE_URL=database_url, REDIS_URL=redis_url, WORKERS="2"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield port
        finally:
            process.terminate()
            process.communicate(timeout=60)


def test_any_worker_answers_metrics_for_all_workers(two_workers: int, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{two_workers}"
    with httpx.Client(base_url=url, timeout=10) as client:
        # new connections, so that both workers take some of them
        for _ in range(20):
            with httpx.Client(base_url=url, timeout=10) as fresh:
                fresh.post("/graphql", json={"query": "query WorkerProbe { __typename }"})
        texts = [client.get("/metrics").text for _ in range(4)]

    name = "lk_graphql_operation_duration_seconds_count"
    assert [sample(text, name, operation_name="WorkerProbe", operation_type="query") for text in texts] == [20] * 4


async def test_traces_link_the_request_the_operation_and_its_sql(
    app_client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime
) -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from services.platform.observability import setup_tracing, stop_tracing

    token = await token_for(runtime, await create_customer(runtime.db, now=runtime.clock.now()))
    exporter = InMemorySpanExporter()
    provider = setup_tracing(runtime, exporter=exporter)
    try:
        await gql.uncompared().as_token(token).post("query MyProfile { me { id phone } }")
    finally:
        stop_tracing(provider, runtime)
    spans = exporter.get_finished_spans()

    [request] = [span for span in spans if span.name == "POST /graphql"]
    [operation] = [span for span in spans if span.name == "query MyProfile"]
    statements = [span for span in spans if span.attributes and "db.query.text" in span.attributes]
    assert operation.parent is not None
    assert operation.parent.span_id == request.context.span_id
    # the operation's own statements under it; the session check before it (building the context) under the request
    parents = [span.parent.span_id if span.parent else None for span in statements]
    assert operation.context.span_id in parents, [(span.name, span.parent) for span in spans]
    assert set(parents) <= {operation.context.span_id, request.context.span_id}
    assert {span.context.trace_id for span in spans} == {request.context.trace_id}
    assert request.attributes is not None
    assert request.attributes["http.response.status_code"] == 200


def test_no_tracing_without_an_endpoint(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.platform.observability import setup_tracing

    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)

    assert setup_tracing(runtime) is None

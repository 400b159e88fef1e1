"""Logs as an operator reads them: every process in the chosen format, tracebacks as structured fields, a client's
mistakes one line at info, nothing from third parties at start."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url

from services.platform.database import to_async_url
from services.platform.settings import PROJECT_ROOT
from tests.support.processes import admin_execute
from tests.test_command_line import base_env, free_port
from tests.test_production_start import PRODUCTION


@pytest_asyncio.fixture
async def empty_database(server_url: str) -> AsyncIterator[tuple[str, str]]:
    name = f"lk_logs_{uuid.uuid4().hex[:10]}"
    await admin_execute(server_url, f'CREATE DATABASE "{name}"')
    yield name, make_url(to_async_url(server_url)).set(database=name).render_as_string(hide_password=False)
    await admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def lines(self) -> list[dict[str, Any]]:
        """Every line the server wrote to stderr, each of which must be a JSON object."""
        text = self.log.read_text()
        return [orjson.loads(line) for line in text.splitlines() if line.strip()]

    def post(self, query: str, request_id: str) -> dict[str, Any]:
        answer = httpx.post(
            f"http://127.0.0.1:{self.port}/graphql",
            json={"query": query},
            headers={"X-Request-ID": request_id},
            timeout=10,
        )
        body: dict[str, Any] = answer.json()
        return body


def json_server(tmp_path: Path, **env: str) -> Iterator[Server]:
    port = free_port()
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "server.py", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=base_env(tmp_path, LOG_FORMAT="json", LOG_LEVEL="INFO", **PRODUCTION, **env),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_client_mistakes_are_one_info_line_and_a_first_start_says_nothing_of_third_parties(
    tmp_path: Path, empty_database: tuple[str, str]
) -> None:
    # given: a first start on an empty database (the migrations run), logging JSON
    for server in json_server(tmp_path, DATABASE_URL=empty_database[1]):
        # when: an anonymous client asks for `me`, and another sends a query that does not validate
        anonymous = server.post("{ me { id } }", "anonymous-me")
        invalid = server.post("{ nope }", "invalid-query")
        lines = server.lines()

    # then: both got their errors, and each wrote one line at info, with its code and without a traceback
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert invalid["errors"][0]["message"].startswith("Cannot query field 'nope'")
    for request_id, code in (("anonymous-me", "UNAUTHENTICATED"), ("invalid-query", "GRAPHQL_VALIDATION_FAILED")):
        [line] = [x for x in lines if x.get("request_id") == request_id and x["event"] != "request"]
        assert (line["level"], line["event"], line["code"]) == ("info", "graphql client error", code)
        assert "exception" not in line
    assert [x for x in lines if x["level"] in ("error", "critical")] == []
    # and: the migrations ran without alembic narrating its plugins
    assert not [x for x in lines if "setup plugin" in x["event"]]


def test_every_worker_process_logs_json_with_tracebacks_as_fields(
    tmp_path: Path, empty_database: tuple[str, str], redis_url: str, server_url: str
) -> None:
    import asyncio

    # given: two uvicorn workers logging JSON
    for server in json_server(tmp_path, DATABASE_URL=empty_database[1], REDIS_URL=redis_url, WORKERS="2"):
        # when: PostgreSQL drops the workers' connections under their background jobs
        asyncio.run(
            admin_execute(
                server_url,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{empty_database[0]}' AND pid <> pg_backend_pid()",
            )
        )
        deadline = time.monotonic() + 60
        while not [x for x in server.lines() if x["event"] == "job failed"] and time.monotonic() < deadline:
            time.sleep(0.5)
        lines = server.lines()
        parent = server.process.pid

    # then: every line of every process is JSON (parsed above); the workers (pids other than the parent's) logged too
    worker_pids = {x["pid"] for x in lines if x["pid"] != parent}
    assert len(worker_pids) == 2, lines
    # and: a failed job's traceback is a structured field of its JSON line, from a worker process
    failed = [x for x in lines if x["event"] == "job failed"]
    assert failed, lines
    line = failed[0]
    assert line["pid"] in worker_pids
    assert line["level"] == "error"
    [*_, last] = line["exception"]
    assert last["exc_type"]
    assert last["frames"][0]["filename"].endswith(".py")
    assert {"filename", "lineno", "name"} <= set(last["frames"][-1])


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_a_command_line_task_logs_in_the_chosen_format(tmp_path: Path, database_url: str, log_format: str) -> None:
    from tests.test_command_line import run_server

    result = run_server(
        "create-service-token", "--name", f"fmt-{uuid.uuid4().hex[:6]}", "--scope", "readings:write",
        env=base_env(tmp_path, DATABASE_URL=database_url, LOG_FORMAT=log_format, LOG_LEVEL="DEBUG"),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "DEBUG shows at least the database's lines"
    parsed = 0
    for line in lines:
        try:
            orjson.loads(line)
            parsed += 1
        except orjson.JSONDecodeError:
            pass
    assert parsed == (len(lines) if log_format == "json" else 0)


def test_fonttools_does_not_narrate_each_pdf_at_info() -> None:
    """fpdf2 subsets a font for each PDF (a statement, an e-receipt) and fontTools logs every table it prunes."""
    import logging

    from services.platform.logs import configure_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging(level="INFO")
        assert not logging.getLogger("fontTools.subset").isEnabledFor(logging.INFO)
        assert logging.getLogger("fontTools.subset").isEnabledFor(logging.WARNING)
    finally:
        root.handlers[:], root.level = handlers, level

"""`server.py` as people run it: a real process, its output, its exit code, and nothing left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import psutil
import pytest
from sqlalchemy.engine import make_url

from services.platform.settings import PROJECT_ROOT
from tests.support.graphql import answer as answer_of
from tests.support.tmp import private_directory


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_server(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "server.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A private directory: pytest's own tree is pruned by concurrent pytest runs of the same user (keeping their
    three newest), which deleted a test's embedded PostgreSQL under it mid-start."""
    with private_directory("lk-cli-") as path:
        yield path


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "WORKERS")}
    env.update({"DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "WARNING"}, **extra)
    return env


def test_an_unreachable_database_is_one_line_and_a_failure(tmp_path: Path) -> None:
    result = run_server("migrate", env=base_env(tmp_path, DATABASE_URL="postgresql://postgres@127.0.0.1:1/nothing"))

    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert result.stderr.startswith("error: cannot connect to the database")


def test_wrong_credentials_are_one_line_and_a_failure(tmp_path: Path, server_url: str) -> None:
    wrong = make_url(server_url).set(username="no_such_role", password=None).render_as_string(hide_password=False)

    result = run_server("migrate", env=base_env(tmp_path, DATABASE_URL=wrong))

    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "no_such_role" in result.stderr


def test_a_taken_port_is_one_line_and_a_failure(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = run_server("--port", str(port), env=base_env(tmp_path))

    assert result.returncode == 1
    assert result.stderr.strip() == f"error: cannot listen on 127.0.0.1:{port}: Address already in use"


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({}, "SECRET_KEY is the development secret"),
        ({"SECRET_KEY": "x" * 40}, "SMS_GATEWAY=file is a development gateway"),
        (
            {"SECRET_KEY": "x" * 40, "SMS_GATEWAY": "http", "SMS_GATEWAY_URL": "https://sms.example"},
            "EMAIL_GATEWAY=file is a development gateway",
        ),
    ],
)
def test_production_refuses_development_settings(tmp_path: Path, settings: dict[str, str], reason: str) -> None:
    result = run_server("migrate", env=base_env(tmp_path, ENVIRONMENT="production", **settings))

    assert result.returncode == 1
    assert result.stderr.startswith("error: refusing to start in production: " + reason)
    assert result.stderr.strip().count("\n") == 0


@pytest.fixture
def running_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, list[str]]]:
    """`server.py` on the embedded PostgreSQL in a fresh data directory, as on a fresh clone."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "server.py", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=base_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline() if process.stdout else ""
            if not line and process.poll() is not None:
                break
            lines.append(line)
            if "Demo customer" in line:  # the last line printed before it serves
                break
        yield process, port, lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.smoke
def test_the_server_starts_on_an_embedded_postgres_answers_and_stops_cleanly(
    running_server: tuple[subprocess.Popen[str], int, list[str]], tmp_path: Path
) -> None:
    # given: a server started with nothing configured
    process, port, lines = running_server
    assert any(f"http://127.0.0.1:{port}/graphql" in line for line in lines), lines
    assert any("+79210000001" in line for line in lines), lines

    # when: it is asked something, a command-line task runs beside it, then it is interrupted (Ctrl-C)
    answer = _wait_for_answer(port)
    beside = run_server("demo-accounts", env=base_env(tmp_path))
    still_answering = _wait_for_answer(port)
    process.send_signal(signal.SIGINT)
    exit_code = process.wait(timeout=30)

    # then: it answered, shared its PostgreSQL with the task, exited cleanly and left no PostgreSQL behind
    assert answer == still_answering == {"data": {"__typename": "Query"}}
    assert beside.returncode == 0, beside.stderr
    assert len(orjson.loads(beside.stdout)) >= 20
    assert exit_code == 0
    data_dir = str(tmp_path / "data")
    leftovers = [p for p in psutil.process_iter(["name", "cmdline"]) if data_dir in " ".join(p.info["cmdline"] or [])]
    assert leftovers == []


def _wait_for_answer(port: int) -> object:
    deadline = time.monotonic() + 30
    while True:
        try:
            response = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"}, timeout=5)
            return answer_of(response.json())
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"PORT": "abc"}, "error: bad setting PORT: "),
        ({"ENVIRONMENT": "staging"}, "error: bad setting ENVIRONMENT: "),
        ({"DATABASE_URL": "mysql://user@host/db"}, "error: DATABASE_URL must be a postgresql:// URL, got mysql://"),
    ],
)
def test_a_bad_setting_is_one_line_and_a_failure(tmp_path: Path, settings: dict[str, str], expected: str) -> None:
    result = run_server("migrate", env=base_env(tmp_path, **settings))

    assert result.returncode == 1
    assert result.stderr.startswith(expected), result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr


def test_an_integration_token_is_created_and_printed_once(tmp_path: Path, database_url: str) -> None:
    result = run_server(
        "create-service-token", "--name", f"grid-{tmp_path.name}", "--scope", "readings:write",
        env=base_env(tmp_path, DATABASE_URL=database_url),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("svc_")


def test_an_unknown_integration_scope_is_refused(tmp_path: Path, database_url: str) -> None:
    result = run_server(
        "create-service-token", "--name", "anything", "--scope", "everything",
        env=base_env(tmp_path, DATABASE_URL=database_url),
    )  # fmt: skip

    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: scopes must be some of billing:write, isu:write, payments:write, readings:write, tech_connections:write"
    )

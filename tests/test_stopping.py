"""Ctrl-C stops `server.py` with a line at [info], never a traceback, whenever it comes: while the modules import,
while the app starts, or while it serves; the embedded PostgreSQL it started is stopped.

A Ctrl-C in a terminal running `uv run server.py` reaches the server twice at once (from the terminal, and forwarded
by uv): the tests send SIGINT twice as well.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.processes import spawn_server
from tests.support.tmp import private_directory
from tests.test_command_line import base_env, free_port
from tests.test_embedded_postgres import answers, postgres_processes, wait_gone


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    """One embedded PostgreSQL's data directory for the module, migrated with its demo data by a first start."""
    with private_directory("lk-stopping-") as path:
        data = path / "data"
        try:
            process, port = start(data)
            wait_until(process, lambda: answers(port), timeout=300)
            press_ctrl_c(process)
            process.communicate(timeout=120)
            yield data
        finally:
            for left in wait_gone(data):
                left.kill()


def start(data: Path) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    env = base_env(data.parent, DATA_DIR=str(data), LOG_LEVEL="INFO")
    process = spawn_server(env, port)
    return process, port


def wait_until(
    process: subprocess.Popen[str], condition: Callable[[], bool], *, timeout: float = 180, pause: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, "the server ended"
        assert time.monotonic() < deadline, "the server took too long"
        time.sleep(pause)


def press_ctrl_c(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGINT)  # uv's forwarded copy


def read_until(process: subprocess.Popen[str], marker: str) -> str:
    assert process.stdout is not None
    seen = ""
    while marker not in seen:
        line = process.stdout.readline()
        assert line, f"ended before {marker!r}:\n{seen}"
        seen += line
    return seen


def assert_stopped_cleanly(process: subprocess.Popen[str], output: str, data: Path) -> None:
    assert process.returncode in (0, 130), output
    assert "Traceback" not in output
    assert "[error" not in output
    assert "stopped" in output
    assert wait_gone(data) == [], "the embedded PostgreSQL was left running"


def test_ctrl_c_while_serving_shuts_the_app_down_and_stops_postgres(data_dir: Path) -> None:
    process, port = start(data_dir)
    wait_until(process, lambda: answers(port))

    press_ctrl_c(process)
    output, _ = process.communicate(timeout=120)

    assert_stopped_cleanly(process, output, data_dir)
    assert "Application shutdown complete" in output  # background jobs stopped, the pool closed
    assert output.count("stopped") == 1


def test_ctrl_c_while_the_app_starts_stops_it_cleanly(data_dir: Path) -> None:
    process, _ = start(data_dir)
    seen = read_until(process, "Waiting for application startup")

    press_ctrl_c(process)
    rest, _ = process.communicate(timeout=120)

    assert_stopped_cleanly(process, seen + rest, data_dir)


def test_ctrl_c_while_postgres_starts_and_the_schema_imports_is_one_line(data_dir: Path) -> None:
    process, _ = start(data_dir)
    users = data_dir / "postgres.users"
    # The server has registered with the embedded PostgreSQL (starting it on a thread) and imports the schema.
    wait_until(process, lambda: any(path.suffix == ".user" for path in users.glob("*")), pause=0.01)

    press_ctrl_c(process)
    output, _ = process.communicate(timeout=120)

    assert_stopped_cleanly(process, output, data_dir)
    assert "Application startup complete" not in output
    assert not postgres_processes(data_dir)


def test_sigterm_while_serving_stops_cleanly(data_dir: Path) -> None:
    process, port = start(data_dir)
    wait_until(process, lambda: answers(port))

    os.kill(process.pid, signal.SIGTERM)
    output, _ = process.communicate(timeout=120)

    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert "Application shutdown complete" in output
    assert wait_gone(data_dir) == []

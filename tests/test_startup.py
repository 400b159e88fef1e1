"""Starting up: heavy modules wait for their first use, workers get time to start on a loaded machine, and the links
the API hands out follow the port the server listens on."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from services.platform.bootstrap import uvicorn_options
from services.platform.settings import PROJECT_ROOT, Settings
from tests.test_command_line import base_env, free_port

# PDF rendering and QR codes: seconds of imports (fpdf pulls in fontTools and PIL) that only downloads need. Redis
# (with the OpenTelemetry metrics SDK it loads) only with REDIS_URL; the HTTP and SMTP clients only to send; Alembic
# only to migrate; the Prometheus client and the OpenTelemetry SDK only once the app is built (tracing only when set).
HEAVY_MODULES = (
    "fpdf",
    "fontTools",
    "segno",
    "PIL",
    "redis",
    "opentelemetry",
    "httpx",
    "click",
    "aiosmtplib",
    "alembic",
    "prometheus_client",
)


def test_the_server_and_the_schema_import_without_the_heavy_libraries() -> None:
    probe = (
        "import sys, server, cli, resolvers.root; from server import BACKGROUND, create_app; "
        f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=600
    )

    assert result.stdout.strip() == "[]"


def test_workers_get_a_minute_to_answer_their_health_check() -> None:
    default = uvicorn_options(Settings(_env_file=None))
    configured = uvicorn_options(Settings(_env_file=None, worker_healthcheck_timeout=90, workers=3))

    assert default["timeout_worker_healthcheck"] == 60
    assert (configured["timeout_worker_healthcheck"], configured["workers"]) == (90, 3)


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 18201, "http://127.0.0.1:18201"),
        ("0.0.0.0", 9000, "http://127.0.0.1:9000"),
        ("::1", 9001, "http://[::1]:9001"),
    ],
)
def test_an_unset_public_url_follows_host_and_port(host: str, port: int, expected: str) -> None:
    assert Settings(_env_file=None, host=host, port=port).public_url == expected


def test_a_set_public_url_is_kept() -> None:
    settings = Settings(_env_file=None, port=18201, public_url="https://lk.example.ru")

    assert settings.public_url == "https://lk.example.ru"


def test_links_point_at_the_port_given_on_the_command_line(tmp_path: Path, database_url: str, redis_url: str) -> None:
    # given: two workers started with --port and no PUBLIC_URL
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "server.py", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=base_env(tmp_path, DATABASE_URL=database_url, REDIS_URL=redis_url, WORKERS="2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        links: set[str] = set()
        asked = 0
        while asked < 10:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline
            try:
                # when: clients (served by either worker) ask for a link
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": "{ contractAccessApplicationTemplateUrl }"},
                    timeout=10,
                )
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            links.add(answer.json()["data"]["contractAccessApplicationTemplateUrl"])
            asked += 1
        [link] = links
        download = httpx.get(link, timeout=60)
    finally:
        process.terminate()
        process.communicate(timeout=60)

    # then: the link is on the actual port, and it works
    assert link == f"http://127.0.0.1:{port}/templates/contract-access-application.pdf"
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")

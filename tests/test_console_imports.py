"""rich only where console logs are chosen (services/platform/console_imports.py, issue 15)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from services.platform.settings import PROJECT_ROOT

_PROBE = (
    "import sys\n"
    "from services.platform.console_imports import keep_rich_out_for_json_logs\n"
    "keep_rich_out_for_json_logs()\n"
    "import structlog.dev, structlog.tracebacks\n"
    "loaded = sys.modules.get('rich') is not None\n"
    "print(loaded, structlog.dev.rich is not None, structlog.tracebacks.rich is not None)\n"
)


def _rich_loaded(log_format: str) -> str:
    env = {**os.environ, "LOG_FORMAT": log_format, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.skipif(importlib.util.find_spec("rich") is None, reason="rich is not installed here")
def test_json_logs_run_without_rich_and_console_logs_keep_it() -> None:
    assert _rich_loaded("json") == "False False False"  # as deployed, where rich is not installed
    assert _rich_loaded("console") == "True True True"

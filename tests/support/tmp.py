"""A private temporary directory for tests that start processes keeping files open in it (PostgreSQL, a venv).

pytest's own `tmp_path` lives under /tmp/pytest-of-<user>/pytest-N, and every pytest run of the same user prunes all
but its three newest N: on a machine where several suites run at once, a long test's directory can vanish under it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def private_directory(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)

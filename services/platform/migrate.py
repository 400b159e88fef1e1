"""Apply Alembic migrations from code (server start, `server.py migrate`, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncConnection

from services.platform.settings import PROJECT_ROOT

# A fixed key: the server, the worker and the CLI may start at once; only one of them migrates at a time.
MIGRATION_LOCK_KEY = 7_201_001


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


async def upgrade_to_head(connection: AsyncConnection) -> None:
    """Migrate the database behind `connection` to the newest revision, under an advisory lock; commits."""
    await connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
    try:

        def run(sync_connection: object) -> None:
            config = alembic_config()
            config.attributes["connection"] = sync_connection
            command.upgrade(config, "head")

        await connection.run_sync(run)
        await connection.commit()
    finally:
        await connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
        await connection.commit()

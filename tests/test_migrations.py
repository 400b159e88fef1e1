"""Migrations and models agree: the migrated database has exactly the models' tables, columns and indexes."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlmodel import SQLModel

import models  # noqa: F401
from services.platform.database import TransactionalDatabase

pytestmark = pytest.mark.smoke


async def test_the_migrated_database_equals_the_models_metadata(db: TransactionalDatabase) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    async with db.connection() as connection:
        diff = await connection.run_sync(differences)

    assert diff == []


async def test_every_table_of_the_domain_exists(db: TransactionalDatabase) -> None:
    async with db.connection() as connection:
        result = await connection.exec_driver_sql(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_name <> 'alembic_version'"
        )
        count = result.scalar_one()

    assert count == len(SQLModel.metadata.tables)


def test_the_quick_head_check_agrees_with_alembic() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from services.platform.migrate import head_revisions
    from services.platform.settings import PROJECT_ROOT

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))

    assert head_revisions() == set(ScriptDirectory.from_config(config).get_heads())

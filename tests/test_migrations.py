"""Migrations and models agree: the migrated database has exactly the models' tables, columns and indexes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import models  # noqa: F401
from services.platform.database import Database, TransactionalDatabase, to_async_url
from tests.conftest import _create_database, _drop_database

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


def _write_revision(versions: Path, revision: str, down: str | tuple[str, ...] | None) -> None:
    # As migrations/script.py.mako writes them.
    (versions / f"{revision}.py").write_text(
        f'"""{revision}"""\n\nrevision: str = {revision!r}\ndown_revision: str | None = {down!r}\n'
        "branch_labels = None\ndepends_on = None\n\n\ndef upgrade() -> None:\n    pass\n"
    )


def test_the_quick_head_check_reads_branches_and_merges_like_alembic(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from services.platform.migrate import head_revisions

    # given: a base, two branches merged, then two branches again
    versions = tmp_path / "versions"
    versions.mkdir()
    for revision, down in [
        ("base", None),
        ("a1", "base"),
        ("b1", "base"),
        ("m1", ("a1", "b1")),
        ("x1", "m1"),
        ("y1", "m1"),
    ]:
        _write_revision(versions, revision, down)

    # then: the same heads as alembic's
    assert head_revisions(versions) == set(ScriptDirectory(str(tmp_path)).get_heads()) == {"x1", "y1"}


@pytest_asyncio.fixture
async def empty_database(server_url: str) -> AsyncIterator[Database]:
    name = f"lk_test_migrate_{uuid.uuid4().hex[:8]}"
    await _create_database(server_url, name)
    url = make_url(to_async_url(server_url)).set(database=name).render_as_string(hide_password=False)
    db = Database.from_url(url, pool_size=1)
    try:
        yield db
    finally:
        await db.dispose()
        await _drop_database(server_url, name)


async def _set_revisions(db: Database, revisions: set[str]) -> None:
    async with db.connection() as connection:
        await connection.exec_driver_sql("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
        for revision in revisions:
            await connection.exec_driver_sql(f"INSERT INTO alembic_version VALUES ('{revision}')")
        await connection.commit()


async def test_a_database_behind_is_migrated_to_the_heads(empty_database: Database) -> None:
    from services.platform.migrate import current_revisions, head_revisions, upgrade_to_head

    async with empty_database.connection() as connection:
        await upgrade_to_head(connection)
        assert await current_revisions(connection) == head_revisions()
        tables = await connection.exec_driver_sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert tables.scalar_one() > len(SQLModel.metadata.tables) // 2


async def test_a_database_at_the_heads_is_left_alone(empty_database: Database) -> None:
    from services.platform.migrate import head_revisions, upgrade_to_head

    # given: a database that says it is at the heads (and has no tables: nothing may be run on it)
    await _set_revisions(empty_database, head_revisions())

    async with empty_database.connection() as connection:
        await upgrade_to_head(connection)
        tables = await connection.exec_driver_sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert tables.scalar_one() == 1  # alembic_version alone


async def test_an_unknown_revision_is_refused_as_alembic_refuses_it(empty_database: Database) -> None:
    from alembic.util import CommandError

    from services.platform.migrate import upgrade_to_head

    await _set_revisions(empty_database, {"from_a_newer_checkout"})

    async with empty_database.connection() as connection:
        with pytest.raises(CommandError, match="from_a_newer_checkout"):
            await upgrade_to_head(connection)

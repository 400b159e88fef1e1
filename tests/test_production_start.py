"""Production never gets demo data; development gets it on an empty database or by `server.py seed-demo`."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url

from services.demo import ADMIN_PASSWORD, ADMIN_PHONE, DEMO_PASSWORD, DEMO_PHONE, database_is_empty
from services.platform.database import Database, to_async_url
from tests.support.processes import admin_execute, spawn_server
from tests.test_command_line import base_env, free_port, run_server

PRODUCTION = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "p" * 40,
    "SMS_GATEWAY": "http",
    "SMS_GATEWAY_URL": "https://sms.example",
    "EMAIL_GATEWAY": "smtp",
    "PAYMENT_PROVIDER": "disabled",
}


@pytest_asyncio.fixture
async def empty_database(server_url: str) -> AsyncIterator[str]:
    """A new database with nothing in it (not even the migrations), dropped at the end."""
    name = f"lk_empty_{uuid.uuid4().hex[:10]}"
    await admin_execute(server_url, f'CREATE DATABASE "{name}"')
    yield make_url(to_async_url(server_url)).set(database=name).render_as_string(hide_password=False)
    await admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def is_empty(url: str) -> bool:
    """No customers (or not even the tables)."""
    db = Database.from_url(url, pool_size=1)
    try:
        async with db.connection() as connection:
            if (await connection.exec_driver_sql("SELECT to_regclass('customer')")).scalar_one() is None:
                return True
        return await database_is_empty(db=db)
    finally:
        await db.dispose()


def test_production_on_an_empty_database_serves_without_demo_data(tmp_path: Path, empty_database: str) -> None:
    # given: a production configuration on an empty database
    port = free_port()
    env = base_env(tmp_path, DATABASE_URL=empty_database, LOG_LEVEL="INFO", **PRODUCTION)
    process = spawn_server(env, port)
    try:
        # when: it starts and someone tries the demo admin's published password
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={
                        "query": "mutation($input: SignInInput!) { signIn(input: $input) { session { accessToken } "
                        "errors { code } } }",
                        "variables": {"input": {"phone": ADMIN_PHONE, "password": ADMIN_PASSWORD}},
                    },
                    timeout=10,
                )
                break
            except httpx.TransportError:
                time.sleep(0.2)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)

    # then: the database was migrated but has no demo data, the demo admin cannot sign in, no credentials are printed
    assert asyncio.run(is_empty(empty_database))
    payload = answer.json()["data"]["signIn"]
    assert payload["session"] is None
    assert payload["errors"]
    for secret in (DEMO_PHONE, DEMO_PASSWORD, ADMIN_PHONE, ADMIN_PASSWORD, "Demo customer"):
        assert secret not in output


@pytest.mark.parametrize("command", ["seed-demo", "demo-accounts"])
def test_production_refuses_the_demo_commands(tmp_path: Path, empty_database: str, command: str) -> None:
    result = run_server(command, env=base_env(tmp_path, DATABASE_URL=empty_database, **PRODUCTION))

    assert result.returncode == 1
    assert (
        result.stderr.strip() == f"error: {command}: demo data (with published passwords) is never loaded in production"
    )
    assert asyncio.run(is_empty(empty_database))


def test_seed_demo_loads_an_empty_database_once(tmp_path: Path, empty_database: str) -> None:
    first = run_server("seed-demo", env=base_env(tmp_path, DATABASE_URL=empty_database), timeout=300)
    loaded = not asyncio.run(is_empty(empty_database))
    second = run_server("seed-demo", env=base_env(tmp_path, DATABASE_URL=empty_database), timeout=300)

    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("demo data loaded: ")
    assert loaded
    assert second.returncode == 1
    assert second.stderr.strip() == ("error: the database already has customers; the demo data goes into an empty one")


def test_the_production_refusal_names_every_problem_at_once(tmp_path: Path) -> None:
    result = run_server("migrate", env=base_env(tmp_path, ENVIRONMENT="production"))

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line == (
        "error: refusing to start in production: "
        "SECRET_KEY is the development secret or shorter than 32 characters; "
        "SMS_GATEWAY=file is a development gateway; set SMS_GATEWAY=http; "
        "EMAIL_GATEWAY=file is a development gateway; set EMAIL_GATEWAY=smtp; "
        "PAYMENT_PROVIDER=dev is a development provider that takes no money; "
        "set PAYMENT_PROVIDER=yookassa or disabled; "
        "DATABASE_URL is required in production (the embedded PostgreSQL is for development)"
    )

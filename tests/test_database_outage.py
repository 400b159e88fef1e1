"""While PostgreSQL cannot be reached, requests get HTTP 503 with SERVICE_UNAVAILABLE and Retry-After (issue 13:
HTTP 500 text/plain or a masked internal error). The app here is given a PostgreSQL address nothing listens on."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio

from models.enums import Role
from services.auth_tokens import issue_access_token
from services.platform.clock import FrozenClock
from services.platform.database import Database
from services.platform.runtime import Runtime
from services.platform.settings import Settings

SIGN_IN = 'mutation { signIn(input: {phone: "+79990000001", password: "Secret2026pass"}) { errors { code } } }'


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the probe is: nothing listens there


@pytest_asyncio.fixture
async def unreachable(tmp_path: Path, clock: FrozenClock) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    from server import create_app

    db = Database.from_url(f"postgresql://postgres@127.0.0.1:{closed_port()}/lk", pool_size=1)
    settings = Settings(database_url="postgresql://unused", redis_url=None, data_dir=tmp_path / "data")
    runtime = Runtime(settings=settings, db=db, clock=clock)
    app = create_app(runtime, run_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client, runtime
    await db.dispose()


async def test_a_mutation_needing_the_database_gets_503_with_retry_after(
    unreachable: tuple[httpx.AsyncClient, Runtime],
) -> None:
    client, _ = unreachable

    response = await client.post("/graphql", json={"query": SIGN_IN})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"].startswith("application/json")
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["SERVICE_UNAVAILABLE"]


async def test_a_signed_in_request_gets_503_before_execution_too(
    unreachable: tuple[httpx.AsyncClient, Runtime],
) -> None:
    client, runtime = unreachable
    token, _ = issue_access_token(
        secret=runtime.settings.secret_key,
        customer_id=1,
        role=Role.CUSTOMER,
        session_id=uuid.uuid4(),
        now=runtime.clock.now(),
    )

    response = await client.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


async def test_what_needs_no_database_is_still_answered(unreachable: tuple[httpx.AsyncClient, Runtime]) -> None:
    client, _ = unreachable

    response = await client.post("/graphql", json={"query": "{ __typename }"})

    assert (response.status_code, response.json()) == (200, {"data": {"__typename": "Query"}})

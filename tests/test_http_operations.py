"""Operational HTTP behaviour: readiness of every dependency, no caching of a viewer's answers, and browsers on other
origins (CORS preflight and the websocket handshake's Origin) against a real server process."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import orjson
import pytest
import pytest_asyncio

from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase
from services.platform.runtime import Runtime
from services.platform.settings import PROJECT_ROOT, Environment, Settings
from tests.support.factories import create_customer
from tests.support.identity import token_for
from tests.support.tmp import private_directory
from tests.test_command_line import base_env, free_port

ALLOWED = "http://localhost:5173"
OTHER = "https://evil.example"


async def _client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    from server import create_app

    app = create_app(runtime, run_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


@pytest_asyncio.fixture
async def redis_runtime(
    settings: Settings, db: TransactionalDatabase, clock: FrozenClock, redis_url: str
) -> AsyncIterator[Runtime]:
    import redis.asyncio as aioredis

    redis = aioredis.from_url(redis_url)
    yield Runtime(settings=settings, db=db, clock=clock, redis=redis)
    await redis.aclose()


async def test_readiness_checks_redis_when_it_is_configured(redis_runtime: Runtime) -> None:
    async for client in _client(redis_runtime):
        ready = await client.get("/readyz")

    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})


async def test_readiness_fails_when_redis_does_not_answer(
    settings: Settings, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    import redis.asyncio as aioredis

    dead = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    runtime = Runtime(settings=settings, db=db, clock=clock, redis=dead)
    try:
        async for client in _client(runtime):
            ready = await client.get("/readyz")
    finally:
        await dead.aclose()

    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "redis": "ConnectionError"}


async def test_answers_to_a_signed_in_viewer_are_never_stored(runtime: Runtime) -> None:
    token = await token_for(runtime, await create_customer(runtime.db, now=runtime.clock.now()))
    async for client in _client(runtime):
        signed_in_get = await client.get(
            "/graphql", params={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {token}"}
        )
        signed_in_post = await client.post(
            "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {token}"}
        )
        anonymous = await client.get("/graphql", params={"query": "{ __typename }"})

    assert signed_in_get.json()["data"]["me"]["id"]
    assert signed_in_get.headers["cache-control"] == "no-store"
    assert signed_in_post.headers["cache-control"] == "no-store"
    assert "no-store" not in anonymous.headers.get("cache-control", "")


def test_cross_origin_defaults() -> None:
    development = Settings(_env_file=None)
    production = Settings(_env_file=None, environment=Environment.PRODUCTION)
    configured = Settings(_env_file=None, cors_allowed_origins="https://lk.example.ru, https://m.example.ru/")

    assert development.cors_origins == ["http://localhost:5173", "http://127.0.0.1:5173"]
    assert production.cors_origins == []
    assert configured.cors_origins == ["https://lk.example.ru", "https://m.example.ru"]


# ---------------------------------------------------------------- a real server, real browsers' requests


@pytest.fixture(scope="module")
def served(database_url: str) -> Iterator[int]:
    """`server.py` in development (CORS_ALLOWED_ORIGINS unset) on the session database; its port."""
    port = free_port()
    with private_directory("lk-http-") as directory:
        process = subprocess.Popen(
            [sys.executable, "server.py", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=base_env(directory, DATABASE_URL=database_url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield port
        finally:
            process.terminate()
            process.communicate(timeout=60)


def preflight(port: int, origin: str) -> httpx.Response:
    return httpx.options(
        f"http://127.0.0.1:{port}/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=10,
    )


def test_a_preflight_from_the_frontend_is_allowed_and_cached(served: int) -> None:
    answer = preflight(served, ALLOWED)

    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert {"authorization", "content-type"} <= {
        header.strip().lower() for header in answer.headers["access-control-allow-headers"].split(",")
    }
    assert answer.headers["access-control-max-age"] == "7200"


def test_a_preflight_from_another_origin_is_refused(served: int) -> None:
    answer = preflight(served, OTHER)

    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers


def test_a_cross_origin_query_is_readable_only_by_an_allowed_origin(served: int) -> None:
    def post(origin: str) -> httpx.Response:
        return httpx.post(
            f"http://127.0.0.1:{served}/graphql",
            json={"query": "{ __typename }"},
            headers={"Origin": origin},
            timeout=10,
        )

    allowed, other = post(ALLOWED), post(OTHER)

    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in other.headers


async def _websocket_handshake(port: int, origin: str | None) -> dict[str, object] | int:
    """The `connection_ack` of a graphql-transport-ws handshake from `origin`, or the HTTP status that refused it."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus
    from websockets.typing import Origin, Subprotocol

    try:
        async with connect(
            f"ws://127.0.0.1:{port}/graphql",
            origin=Origin(origin) if origin else None,
            subprotocols=[Subprotocol("graphql-transport-ws")],
            open_timeout=30,
        ) as socket:
            await socket.send(orjson.dumps({"type": "connection_init", "payload": {}}).decode())
            message: dict[str, object] = orjson.loads(await socket.recv(decode=False))
            return message
    except InvalidStatus as refused:
        return int(refused.response.status_code)


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        (ALLOWED, {"type": "connection_ack"}),
        ("http://127.0.0.1:5173", {"type": "connection_ack"}),
        (None, {"type": "connection_ack"}),  # not a browser
        (OTHER, 403),
        ("http://localhost:5174", 403),
    ],
)
async def test_a_cross_origin_websocket_is_accepted_only_from_an_allowed_origin(
    served: int, origin: str | None, expected: object
) -> None:
    assert await _websocket_handshake(served, origin) == expected


async def test_the_servers_own_pages_may_open_a_websocket(served: int) -> None:
    # GraphiQL, served by the server itself, opens its socket from the server's own origin.
    assert await _websocket_handshake(served, f"http://127.0.0.1:{served}") == {"type": "connection_ack"}

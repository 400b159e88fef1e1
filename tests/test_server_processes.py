"""Two server processes sharing PostgreSQL and Redis answer alike (the fixture later tests build on)."""

from __future__ import annotations

from pathlib import Path

import httpx

from services.platform.clock import FrozenClock
from tests.support.graphql import answer as answer_of
from tests.support.processes import server_processes


async def test_two_processes_share_one_database(
    server_url: str, redis_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    async with (
        server_processes(server_url=server_url, redis_url=redis_url, clock=clock, tmp_path=tmp_path) as servers,
        httpx.AsyncClient() as client,
    ):
        answers = [
            answer_of((await client.post(servers.graphql_url(i), json={"query": "{ __typename }"})).json())
            for i in range(2)
        ]

    assert answers == [{"data": {"__typename": "Query"}}] * 2

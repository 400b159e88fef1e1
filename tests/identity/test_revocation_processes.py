"""Across real server processes sharing PostgreSQL and Redis: signing out through one process ends the session on
the other at once, its open socket (4403) and its access token over HTTP, though that process had found it alive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from httpx_ws import aconnect_ws

from services.platform.clock import FrozenClock
from tests.support.factories import create_customer
from tests.support.graphql import GRAPHQL_TRANSPORT_WS, Subscriber
from tests.support.identity import ME, sign_in_as
from tests.support.processes import server_processes

SIGN_OUT = "mutation($input: SignOutInput!) { signOut(input: $input) { errors { code } } }"
FORBIDDEN = 4403


async def ask_me(http: httpx.AsyncClient, url: str, token: str) -> dict[str, Any]:
    response = await http.post(url, json={"query": ME}, headers={"Authorization": f"Bearer {token}"})
    answer: dict[str, Any] = response.json()
    return answer


async def test_signing_out_through_one_process_ends_the_session_on_another(
    server_url: str, redis_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    async with (
        server_processes(server_url=server_url, redis_url=redis_url, clock=clock, tmp_path=tmp_path) as servers,
        httpx.AsyncClient(timeout=10) as http,
    ):
        # given: process 1 has found the session alive, over HTTP and on an open socket
        runtime = servers.runtime
        customer = await create_customer(runtime.db, now=runtime.clock.now())
        issued = await sign_in_as(runtime, customer)
        before = await ask_me(http, servers.graphql_url(1), issued.access_token)
        async with aconnect_ws(  # type: ignore[var-annotated]
            servers.graphql_url(1), http, subprotocols=[GRAPHQL_TRANSPORT_WS]
        ) as ws:
            socket = Subscriber(ws)
            assert (await socket.init(token=issued.access_token))["type"] == "connection_ack"

            # when: the customer signs out through process 0
            signed_out = await http.post(
                servers.graphql_url(0),
                json={"query": SIGN_OUT, "variables": {"input": {"refreshToken": issued.refresh_token}}},
            )

            # then: process 1 closes the socket, and answers the token as anonymous from then on
            code = await socket.close_code(timeout=10)
        after = await ask_me(http, servers.graphql_url(1), issued.access_token)

    assert before["data"]["me"]["phone"] == customer.phone
    assert signed_out.json()["data"]["signOut"]["errors"] == []
    assert code == FORBIDDEN
    assert after["data"]["me"] is None
    assert [error["extensions"]["code"] for error in after["errors"]] == ["UNAUTHENTICATED"]

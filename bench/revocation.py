"""Benchmark: how soon a sign-out through one server process closes the session's websocket on another.

uv run bench/revocation.py [--rounds 30] [--database-url postgresql://postgres@127.0.0.1:5432/test]
                           [--redis-url redis://127.0.0.1:6379/0]

Starts two `server.py` processes sharing a fresh database (dropped at the end) and Redis, then `--rounds` times: a
customer's session opens a websocket on process 1 and signs out through process 0; the time from the sign-out's
answer to the socket's 4403 close is what is measured (the relay's idle poll, Redis, the guard, the close frame).
Prints p50 / p95 / max in a table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from httpx_ws import aconnect_ws  # noqa: E402

from services.platform.clock import SystemClock  # noqa: E402
from tests.support.factories import create_customer  # noqa: E402
from tests.support.graphql import GRAPHQL_TRANSPORT_WS, Subscriber  # noqa: E402
from tests.support.identity import sign_in_as  # noqa: E402
from tests.support.processes import ServerProcesses, server_processes  # noqa: E402

SIGN_OUT = "mutation($input: SignOutInput!) { signOut(input: $input) { errors { code } } }"


async def _one_round(http: httpx.AsyncClient, servers: ServerProcesses) -> float:
    runtime = servers.runtime
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    issued = await sign_in_as(runtime, customer)
    async with aconnect_ws(servers.graphql_url(1), http, subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:  # type: ignore[var-annotated]
        socket = Subscriber(ws)
        assert (await socket.init(token=issued.access_token))["type"] == "connection_ack"
        response = await http.post(
            servers.graphql_url(0),
            json={"query": SIGN_OUT, "variables": {"input": {"refreshToken": issued.refresh_token}}},
        )
        signed_out = time.perf_counter()
        assert response.json()["data"]["signOut"]["errors"] == []
        code = await socket.close_code(timeout=30)
        closed = time.perf_counter()
    assert code == 4403, code
    return (closed - signed_out) * 1000


async def measure(*, rounds: int, database_url: str, redis_url: str) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            server_processes(
                server_url=database_url, redis_url=redis_url, clock=SystemClock(), tmp_path=Path(tmp)
            ) as servers,
            httpx.AsyncClient(timeout=30) as http,
        ):
            await _one_round(http, servers)  # warm-up
            return [await _one_round(http, servers) for _ in range(rounds)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    latencies = sorted(
        asyncio.run(measure(rounds=args.rounds, database_url=args.database_url, redis_url=args.redis_url))
    )
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    print("| sign-out on process 0 → socket closed on process 1 | rounds | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    print(
        f"| through the broker | {len(latencies)} | {statistics.median(latencies):.0f} | {p95:.0f} "
        f"| {latencies[-1]:.0f} |"
    )


if __name__ == "__main__":
    main()

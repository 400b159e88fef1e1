"""Benchmark: the full cabinet query (bench/cabinet.graphql) against the real server, and the same data served by a
plain asyncpg + orjson handler (bench/plain_cabinet.py); the ratio of the two is what the GraphQL layer costs.

uv run bench/cabinet.py [--accounts 100000] [--duration 10] [--database-url postgresql://postgres@127.0.0.1:5432/test]
                        [--executions compiled,graphql-core]

It creates the database `lk_bench` on that server (if missing), migrates it, seeds benchmark accounts up to
--accounts (skipped when there are that many already), gives a sample of customers real sessions and mints their
access tokens with the secret the servers are started with (no argon2 sign-ins), then for 1 and 2 uvicorn workers
drives each server from 1, 16 and 64 concurrent clients for --duration seconds (after a 1-second warm-up) and prints
requests per second, p50 / p95 / p99 latency and SQL statements per request. Traffic goes to 127.0.0.1 only.

With `--executions compiled,graphql-core` the GraphQL server runs once per execution path (`LK_EXECUTION`, read at
schema build: schema/core/build.py), all servers started together and driven in turn at each concurrency: before and
after of the compiled path in one run. With `--vs CHECKOUT` the GraphQL server of another checkout (e.g. `git archive`
of the commit before a change, run with this checkout's environment) is driven in turn too, as `graphql@before`.

SQL statements per request are counted in-process, once, with `count_statements` around the full query through the
real ASGI app (pg_stat_statements is not available); the plain handler's count is fixed by its code.
The load generator runs on the same machine as the servers and PostgreSQL: its CPU is part of what is measured.
Each server is driven once the database is quiet (bench/quiet.py): the servers' start-up jobs (the analytics
refresh, about 30 s of PostgreSQL over 100,000 accounts) would otherwise fall on whichever is measured first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import orjson  # noqa: E402
import redis  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.quiet import wait_for_quiet_database  # noqa: E402
from models.enums import Role  # noqa: E402
from services.auth_tokens import issue_access_token  # noqa: E402
from services.cabinet.periods import add_months, month_start  # noqa: E402
from services.platform.clock import LOCAL_TZ, SystemClock  # noqa: E402
from services.platform.database import Database, count_statements, to_async_url  # noqa: E402

BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "lk_bench")  # the database seeded and served from
QUERY = (ROOT / "bench" / "cabinet.graphql").read_text()
SAMPLE_CUSTOMERS = 500
CONCURRENCY = (1, 16, 64)
WORKERS = (1, 2)
PLAIN_STATEMENTS = "15 (+1 session check per session per 5 s)"


def _dsn(server_url: str, database: str) -> str:
    return (
        make_url(to_async_url(server_url))
        .set(drivername="postgresql", database=database)
        .render_as_string(hide_password=False)
    )


async def _ensure_database(server_url: str) -> str:
    """The benchmark database on that server (created when missing): `lk_bench`, or $BENCH_DATABASE."""
    admin = await asyncpg.connect(_dsn(server_url, make_url(to_async_url(server_url)).database or "postgres"))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", BENCH_DATABASE):
            await admin.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    finally:
        await admin.close()
    return _dsn(server_url, BENCH_DATABASE)


@dataclass
class Prepared:
    url: str
    customers: list[tuple[int, uuid.UUID]]  # (customer id, session id)
    period: dict[str, str]


async def prepare(server_url: str, accounts: int, secret: str) -> tuple[Prepared, str]:
    from services.demo import seed_large
    from services.platform.bootstrap import prepare_database

    url = await _ensure_database(server_url)
    db = Database.from_url(url, pool_size=4)
    clock = SystemClock()
    try:
        await prepare_database(db, clock=clock, load_demo=False)
        connection = await asyncpg.connect(url)
        try:
            present = await connection.fetchval(
                "SELECT count(*) FROM personal_account WHERE number BETWEEN '500000000' AND '599999999'"
            )
            if present < accounts:
                print(f"seeding {accounts - present} accounts ({present} there already)", flush=True)
                await seed_large(db=db, clock=clock, accounts=accounts - present, progress=_progress)
            else:
                print(f"{present} benchmark accounts there already: not seeding", flush=True)
            rows = await connection.fetch(
                "SELECT id FROM customer WHERE phone LIKE '+7900%' ORDER BY random() LIMIT $1", SAMPLE_CUSTOMERS
            )
            now = clock.now()
            customers = [(row["id"], uuid.uuid4()) for row in rows]
            await connection.executemany(
                "INSERT INTO auth_session (id, customer_id, created_at, last_used_at, expires_at, ip) "
                "VALUES ($1, $2, $3, $3, $4, '127.0.0.1')",
                [(session_id, customer_id, now, now + timedelta(days=1)) for customer_id, session_id in customers],
            )
        finally:
            await connection.close()
        today = now.astimezone(LOCAL_TZ).date()
        last = add_months(month_start(today), -1)
        period = {"from": add_months(last, -11).isoformat(), "to": last.isoformat()}
        prepared = Prepared(url=url, customers=customers, period=period)
        statements = await _statements_per_request(db, prepared, secret)
    finally:
        await db.dispose()
    return prepared, statements


def _progress(line: str) -> None:
    print("  " + line, flush=True)


def _tokens(prepared: Prepared, secret: str) -> list[str]:
    now = datetime.now(UTC)
    return [
        issue_access_token(secret=secret, customer_id=customer_id, role=Role.CUSTOMER, session_id=session_id, now=now)[
            0
        ]
        for customer_id, session_id in prepared.customers
    ]


async def _statements_per_request(db: Database, prepared: Prepared, secret: str) -> str:
    """SQL statements of the full query through the real app, for a few customers (cold session cache: + 1)."""
    from server import create_app, start_background, stop_background
    from services.platform.runtime import Runtime
    from services.platform.settings import Settings

    runtime = Runtime(settings=Settings(database_url=prepared.url, secret_key=secret), db=db, clock=SystemClock())
    app = create_app(runtime, run_background=False)
    # The start-up hooks, as the server runs them (the session guard listens for revocations); no jobs.
    tasks = await start_background(runtime, serve_jobs=False)
    counts = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for token in _tokens(prepared, secret)[:20]:
            async with count_statements() as counter:
                response = await client.post(
                    "/graphql",
                    json={"query": QUERY, "variables": {"period": prepared.period}},
                    headers={"Authorization": f"Bearer {token}"},
                )
            body = response.json()
            assert not body.get("errors"), body["errors"]
            counts.append(counter[0])
    await stop_background(runtime, tasks)
    return f"{min(counts)}-{max(counts)}" if min(counts) != max(counts) else str(counts[0])


def _rss_mb(group: int) -> float:
    """Resident memory of the largest process of a process group (a uvicorn worker), in MB."""
    largest = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == group:
                largest = max(largest, int((stat.parent / "statm").read_text().split()[1]))
        except (OSError, IndexError, ValueError):
            continue
    return largest * os.sysconf("SC_PAGE_SIZE") / 2**20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_REDIS_DATABASES = iter((15, 14, 13, 12))  # a GraphQL server's own (flushed when it starts)


class Server:
    """A server process group started here and stopped here (by its own process group id, nothing else)."""

    def __init__(self, kind: str, workers: int, url: str, secret: str, *, root: Path = ROOT) -> None:
        self.port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secret, "WORKERS": str(workers), "LOG_LEVEL": "WARNING"}
        if kind.startswith("graphql"):
            # A Redis database of its own: the servers driven in turn spend the same customers' cost budgets, and a
            # shared budget answers one of them 429s (fast answers that inflate its req/s)
            env["REDIS_URL"] = f"redis://127.0.0.1:6379/{next(_REDIS_DATABASES)}"
            redis.Redis.from_url(env["REDIS_URL"]).flushdb()  # no budget spent by an earlier run
        elif workers > 1:
            env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        if kind.startswith("graphql:"):
            env["LK_EXECUTION"] = kind.split(":", 1)[1]
        if root != ROOT:  # another checkout, run with this one's environment (the same lock file)
            env["UV_PROJECT_ENVIRONMENT"] = str(ROOT / ".venv")
        if kind.startswith("graphql"):
            command = ["uv", "run", "server.py", "--host", "127.0.0.1", "--port", str(self.port)]
        else:
            command = ["uv", "run", "uvicorn", "bench.plain_cabinet:app", "--host", "127.0.0.1",
                       "--port", str(self.port), "--workers", str(workers), "--no-access-log",
                       "--log-level", "warning"]  # fmt: skip
        self.log = open(f"/tmp/lk_bench_{kind.replace(':', '_')}_{workers}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)  # fmt: skip

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log.name}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


async def drive(
    *, kind: str, port: int, tokens: list[str], period: dict[str, str], concurrency: int, duration: float
) -> Result:
    if kind.startswith("graphql"):
        path, payload = "/graphql", orjson.dumps({"query": QUERY, "variables": {"period": period}})
    else:
        path, payload = "/cabinet", orjson.dumps({"period": period, "first": 24})
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as client:

        async def client_task(seed: int, until: float, record: bool) -> None:
            nonlocal errors
            rng = random.Random(seed)
            while loop.time() < until:
                headers = {"Authorization": f"Bearer {rng.choice(tokens)}", "Content-Type": "application/json"}
                started = time.perf_counter()
                response = await client.post(path, content=payload, headers=headers)
                elapsed = time.perf_counter() - started
                if response.status_code != 200 or b'"errors":' in response.content:
                    errors += 1
                    if errors <= 3:  # what went wrong, not only how often
                        print(f"    error from {kind}: HTTP {response.status_code} {response.content[:300]!r}")
                if record:
                    latencies.append(elapsed)

        warm_until = loop.time() + 1
        await asyncio.gather(*(client_task(i, warm_until, False) for i in range(concurrency)))
        started = loop.time()
        until = started + duration
        await asyncio.gather(*(client_task(1000 + i, until, True) for i in range(concurrency)))
        seconds = loop.time() - started
    return Result(requests=len(latencies), errors=errors, seconds=seconds, latencies=latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--workers", default=",".join(map(str, WORKERS)))
    parser.add_argument("--concurrency", default=",".join(map(str, CONCURRENCY)))
    parser.add_argument("--executions", default="", help="e.g. compiled,graphql-core: a GraphQL server for each")
    parser.add_argument("--vs", default="", help="another checkout: its GraphQL server too, as graphql@before")
    args = parser.parse_args()
    secret = secrets.token_urlsafe(48)
    prepared, graphql_statements = asyncio.run(prepare(args.database_url, args.accounts, secret))
    print(
        f"period {prepared.period['from']} … {prepared.period['to']}, {len(prepared.customers)} customers", flush=True
    )

    kinds = [f"graphql:{execution}" for execution in args.executions.split(",")] if args.executions else ["graphql"]
    if args.vs:
        kinds.insert(0, "graphql@before")
    kinds.append("plain")
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    rows: list[tuple[Any, ...]] = []
    rss: dict[tuple[str, int], float] = {}
    for workers in [int(w) for w in args.workers.split(",")]:
        results: dict[tuple[str, int], Result] = {}
        servers = {
            kind: Server(kind, workers, prepared.url, secret, root=Path(args.vs) if kind == "graphql@before" else ROOT)
            for kind in kinds
        }
        try:
            for server in servers.values():
                server.wait_ready()
            tokens = _tokens(prepared, secret)
            for concurrency in concurrencies:
                for kind, server in servers.items():  # in turn: the machine's noise falls on all alike
                    # The servers' start-up jobs (the analytics refresh, a billing close) done first (bench/quiet.py)
                    waited = asyncio.run(wait_for_quiet_database(prepared.url))
                    if waited > 3:
                        print(f"  waited {waited:.0f} s for the database's start-up work to end", flush=True)
                    result = asyncio.run(
                        drive(
                            kind=kind,
                            port=server.port,
                            tokens=tokens,
                            period=prepared.period,
                            concurrency=concurrency,
                            duration=args.duration,
                        )
                    )
                    results[(kind, concurrency)] = result
                    rss[(kind, workers)] = max(rss.get((kind, workers), 0.0), _rss_mb(server.process.pid))
                    print(f"  {kind:20} workers={workers} clients={concurrency:3}: {result.rate:7.1f} req/s"
                          f"{f', {result.errors} errors' if result.errors else ''}"
                          f" (load average {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
        finally:
            for server in servers.values():
                server.stop()
        for concurrency in concurrencies:
            plain = results[("plain", concurrency)]
            for kind in kinds:
                result = results[(kind, concurrency)]
                statements = PLAIN_STATEMENTS if kind == "plain" else graphql_statements
                ratio = plain.rate / result.rate if kind != "plain" else None
                rows.append((workers, concurrency, kind, result.rate, result.percentile(0.5),
                             result.percentile(0.95), result.percentile(0.99), statements,
                             rss.get((kind, workers), 0.0), ratio))  # fmt: skip

    print()
    print(f"{'workers':>7} {'clients':>7} {'server':>20} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'SQL/req':>8} {'RSS MB':>7}  graphql/plain")  # fmt: skip
    for workers, concurrency, kind, rate, p50, p95, p99, statements, rss_mb, ratio in rows:
        ratio_text = f"{ratio:.2f}x" if ratio is not None else ""
        print(f"{workers:>7} {concurrency:>7} {kind:>20} {rate:>8.1f} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} "
              f"{statements:>8} {rss_mb:>7.0f}  {ratio_text}")  # fmt: skip


if __name__ == "__main__":
    main()

"""Benchmark: live subscribers over two server processes sharing Redis (issue 15's "Subscriptions" table).

uv run bench/subscribers.py [--subscribers 1000,2000,5000] [--events 100] [--rate 10] [--idle-seconds 20]
                            [--roots after=.,before=/path/to/another/checkout] [--output bench/results/….txt]
                            [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                            [--redis-url redis://127.0.0.1:6379/13]

For each checkout in `--roots` (interleaved: for each size, every root in turn) and each size N:
- a fresh database `lk_bench_subs_<n>_<label>_<random>` (migrated, demo data; dropped at the end) and the Redis
  database of `--redis-url`; two `server.py` processes of that checkout (WORKERS=1 each, ports of
  their own): A holds the subscribers, B takes the mutations;
- N/10 customers, each with 2 sessions of 5 sockets (the caps of schema/core/ws_caps.py: 10 sockets and 50
  subscriptions per session), one `appealMessageAdded` subscription per socket (the customer's channel: messages
  on any of their appeals);
- connected in: from the first connect until every socket has its `connection_ack`, its `subscribe` sent, and A
  counts N live subscriptions (`lk_graphql_subscriptions` on /metrics);
- idle, over `--idle-seconds` once A has settled: the CPU of each server process and of this client (from
  /proc/<pid>/stat through psutil), the transactions the database ran (pg_stat_database xact_commit + xact_rollback
  of the bench database: every statement of the servers runs in a transaction of its own, so this counts the idle
  polls; PostgreSQL flushes these counters up to 10 s late, hence the long window) and each process's RSS. The same
  is measured with no subscriber first ("0": the background jobs alone, per process and not per socket);
- delivery: `--events` operator replies (the `postAppealMessage` mutation on B) at `--rate` per second, each on the
  appeal of another customer, so each reaches that customer's 10 sockets on A; latency = the message on A's socket
  minus B's answer to the mutation (the commit is before the answer), p50 / p99 / max over all deliveries; lost =
  deliveries not received 15 s after the last answer.

The client (the `websockets` package, one task per socket, offering permessage-deflate as browsers do) runs on the
same machine: its CPU is in the table. Prints a Markdown table and writes it to `--output`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import orjson  # noqa: E402
import psutil  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.typing import Subprotocol  # noqa: E402

from models.enums import Role  # noqa: E402
from services.platform.bootstrap import prepare_database  # noqa: E402
from services.platform.clock import SystemClock  # noqa: E402
from services.platform.database import Database, to_async_url  # noqa: E402
from services.platform.runtime import Runtime  # noqa: E402
from services.platform.settings import Settings  # noqa: E402
from tests.support.appeals import open_appeal  # noqa: E402
from tests.support.factories import create_account, create_customer  # noqa: E402
from tests.support.identity import sign_in_as  # noqa: E402
from tests.support.objects import global_id  # noqa: E402
from tests.support.processes import free_port  # noqa: E402

SECRET_KEY = "bench-secret-for-subscribers-0123456789abcdef"
SOCKETS_PER_SESSION = 5
SESSIONS_PER_CUSTOMER = 2
PER_CUSTOMER = SOCKETS_PER_SESSION * SESSIONS_PER_CUSTOMER
CONNECTING_AT_ONCE = 100
SETTLE_MAX_SECONDS = 30.0
LOSS_WAIT_SECONDS = 15.0

SUBSCRIPTION = "subscription { appealMessageAdded { eventId message { text } } }"
POST_MESSAGE = """
mutation($input: PostAppealMessageInput!) { postAppealMessage(input: $input) { errors { code message } } }"""
_SUBSCRIPTIONS_METRIC = re.compile(rb"^lk_graphql_subscriptions(?:\{[^}]*\})? ([0-9.e+]+)$", re.MULTILINE)


@dataclass
class Row:
    label: str
    subscribers: int
    connected: int = 0
    connected_seconds: float | None = None
    connect_deadline: float = 0.0
    settle_seconds: float = 0.0
    cpu: tuple[float, float] = (0.0, 0.0)  # percent of one core, A and B, while idle
    client_cpu: float = 0.0
    sql_per_second: float = 0.0
    rss: tuple[float, float] = (0.0, 0.0)  # MB, A and B, after the idle window
    rss_peak: tuple[float, float] = (0.0, 0.0)  # MB, after delivery
    latencies: list[float] = field(default_factory=list)  # ms
    expected: int = 0
    received: int = 0
    duplicates: int = 0
    events: int = 0
    client_cpu_delivery: float = 0.0
    load: str = ""


@dataclass
class Socket:
    token: str
    customer: int
    ws: ClientConnection | None = None
    acked: bool = False


@dataclass
class Deliveries:
    by_event: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    seen: set[tuple[int, int]] = field(default_factory=set)  # (socket index, event number)
    duplicates: int = 0

    def note(self, socket: int, event: int, at: float) -> None:
        if (socket, event) in self.seen:
            self.duplicates += 1
            return
        self.seen.add((socket, event))
        self.by_event[event].append(at)


def _admin_dsn(url: str, database: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    made = make_url(to_async_url(url)).set(drivername="postgresql")
    if database is not None:
        made = made.set(database=database)
    return made.render_as_string(hide_password=False)


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(_admin_dsn(url, "postgres"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _transactions(url: str, name: str) -> int:
    connection = await asyncpg.connect(_admin_dsn(url, "postgres"))  # not the bench database: not counted
    try:
        value = await connection.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", name
        )
    finally:
        await connection.close()
    return int(value or 0)


def _die_with_parent() -> None:
    """The servers get SIGTERM when this benchmark dies (killed by a timeout, say): none is left running."""
    import ctypes
    import signal

    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _rss_mb(process: psutil.Process) -> float:
    return float(process.memory_info().rss) / 1e6


async def _wait_ready(url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(900):
            if process.returncode is not None:
                raise RuntimeError(f"server process exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{url}/readyz", timeout=2)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} not ready")


async def _live_subscriptions(http: httpx.AsyncClient, url: str) -> int:
    body = (await http.get(f"{url}/metrics", timeout=10)).content
    found = _SUBSCRIPTIONS_METRIC.search(body)
    return int(float(found.group(1))) if found else 0


async def _reader(index: int, socket: Socket, deliveries: Deliveries) -> None:
    ws = socket.ws
    assert ws is not None
    with contextlib.suppress(Exception):
        async for raw in ws:
            at = time.perf_counter()
            message = orjson.loads(raw)
            kind = message.get("type")
            if kind == "next":
                text = message["payload"]["data"]["appealMessageAdded"]["message"]["text"]
                deliveries.note(index, int(text.rsplit(" ", 1)[1]), at)
            elif kind == "ping":
                await ws.send('{"type":"pong"}')
            elif kind in ("error", "complete"):
                print(f"socket {index}: {message}", file=sys.stderr)


async def _open(
    index: int,
    socket: Socket,
    *,
    url: str,
    gate: asyncio.Semaphore,
    compression: str | None,
    deliveries: Deliveries,
) -> asyncio.Task[None] | None:
    async with gate:
        try:
            ws = await connect(
                url,
                subprotocols=[Subprotocol("graphql-transport-ws")],
                ping_interval=None,  # the server pings; the client answers
                compression=compression,
                open_timeout=60,
                max_queue=64,
            )
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {socket.token}"}}
            await ws.send(orjson.dumps(init).decode())  # graphql-transport-ws: text frames
            ack = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=60))
            if ack.get("type") != "connection_ack":
                print(f"socket {index}: {ack}", file=sys.stderr)
                await ws.close()
                return None
            socket.ws, socket.acked = ws, True
            await ws.send(
                orjson.dumps(
                    {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {}}}
                ).decode()
            )
        except Exception as error:  # noqa: BLE001 - a socket that could not open is counted, not fatal
            print(f"socket {index}: {type(error).__name__}: {error}", file=sys.stderr)
            return None
    return asyncio.create_task(_reader(index, socket, deliveries))


async def _idle(
    url: str, name: str, servers: list[psutil.Process], me: psutil.Process, seconds: float
) -> tuple[tuple[float, float], float, float]:
    """CPU (% of a core) of A and B and of the client, and the database's transactions per second, over `seconds`."""
    before_cpu = [_cpu_seconds(process) for process in servers]
    before_me = _cpu_seconds(me)
    before_sql = await _transactions(url, name)
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - started
    after_sql = await _transactions(url, name)
    cpu = [100 * (_cpu_seconds(process) - was) / elapsed for process, was in zip(servers, before_cpu, strict=True)]
    return (cpu[0], cpu[1]), 100 * (_cpu_seconds(me) - before_me) / elapsed, (after_sql - before_sql) / elapsed


async def _drained(url: str, name: str, *, limit: float = 180.0) -> None:
    """Wait until the demo data's own work is done (its closed month's e-receipts sent, every event published), then
    until PostgreSQL's counters have caught up (an idle backend reports its transactions up to 10 s late): the idle
    window then counts what an idle process does, not the tail of the start."""
    connection = await asyncpg.connect(_admin_dsn(url, name))
    try:
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            busy = await connection.fetchval(
                "SELECT (SELECT count(*) FROM outbound_message WHERE status = 'PENDING')"
                " + (SELECT count(*) FROM outbox_event WHERE published_at IS NULL)"
            )
            if not busy:
                break
            await asyncio.sleep(1)
    finally:
        await connection.close()
    await asyncio.sleep(11)


async def _settle(process: psutil.Process) -> float:
    """Seconds until A spends under 10 % of a core over a second (its subscriptions have done their start-up)."""
    started = time.perf_counter()
    while time.perf_counter() - started < SETTLE_MAX_SECONDS:
        was = _cpu_seconds(process)
        await asyncio.sleep(1)
        if _cpu_seconds(process) - was < 0.1:
            break
    return time.perf_counter() - started


async def run_case(*, label: str, root: Path, n: int, args: argparse.Namespace, baseline: dict[str, Row]) -> Row:
    row = Row(label=label, subscribers=n, load=" ".join(f"{x:.1f}" for x in os.getloadavg()))
    name = f"lk_bench_subs_{n}_{label}_{uuid.uuid4().hex[:6]}"
    await _admin(args.database_url, f'CREATE DATABASE "{name}"')
    url = _admin_dsn(args.database_url, name)
    db = Database.from_url(url, pool_size=4)
    processes: list[asyncio.subprocess.Process] = []
    tasks: list[asyncio.Task[None]] = []
    sockets: list[Socket] = []
    me = psutil.Process()
    try:
        clock = SystemClock()
        await prepare_database(db, clock=clock, load_demo=True)
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(database_url=url, redis_url=args.redis_url, secret_key=SECRET_KEY, data_dir=Path(tmp))
            runtime = Runtime(settings=settings, db=db, clock=clock)
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "REDIS_URL": args.redis_url,
                "SECRET_KEY": SECRET_KEY,
                "DATA_DIR": str(Path(tmp) / "data"),
                "LOG_LEVEL": "WARNING",
                "LOG_FORMAT": "json",  # as in production: a traceback is a string, not a rich rendering with locals
                "WORKERS": "1",
                **dict(item.split("=", 1) for item in args.server_env),
            }
            urls = []
            for role in ("A", "B"):
                port = free_port()
                log_path = Path(args.log_dir or tmp) / f"server-{n}-{label}-{role}.log"
                log = open(log_path, "wb")  # noqa: SIM115, ASYNC230 - before the servers start; closed at exit
                processes.append(
                    await asyncio.create_subprocess_exec(
                        str(root / ".venv" / "bin" / "python"),
                        "server.py",
                        "--port",
                        str(port),
                        cwd=root,
                        env=env,
                        stdout=log,
                        stderr=log,
                        preexec_fn=_die_with_parent,
                    )
                )
                urls.append(f"http://127.0.0.1:{port}")
            for process, process_url in zip(processes, urls, strict=True):
                await _wait_ready(process_url, process)
            servers = [psutil.Process(process.pid) for process in processes]

            # The people: N/10 customers with 2 sessions each; the first `events` of them get an appeal to reply to.
            now = clock.now()
            customers = [await create_customer(db, now=now) for _ in range((n + PER_CUSTOMER - 1) // PER_CUSTOMER)]
            for number, customer in enumerate(customers):
                for _ in range(SESSIONS_PER_CUSTOMER):
                    token = (await sign_in_as(runtime, customer)).access_token
                    sockets.extend(Socket(token=token, customer=number) for _ in range(SOCKETS_PER_SESSION))
            sockets = sockets[:n]
            targets = customers[: min(args.events, len(customers))]
            appeals = []
            for customer in targets:
                account, _ = await create_account(db, now=now, owner=customer)
                appeals.append((await open_appeal(runtime, customer, account)).appeal.id)
            operator = await create_customer(db, now=now, role=Role.OPERATOR)
            operator_token = (await sign_in_as(runtime, operator)).access_token
            listeners: dict[int, list[int]] = defaultdict(list)  # customer number -> socket indexes
            for index, socket in enumerate(sockets):
                listeners[socket.customer].append(index)

            await asyncio.sleep(3)  # the appeals' own events relayed
            if label not in baseline:  # the background jobs alone, no subscriber
                await _drained(args.database_url, name)
                idle_row = Row(label=label, subscribers=0, load=row.load)
                idle_row.cpu, idle_row.client_cpu, idle_row.sql_per_second = await _idle(
                    args.database_url, name, servers, me, args.idle_seconds
                )
                idle_row.rss = (_rss_mb(servers[0]), _rss_mb(servers[1]))
                baseline[label] = idle_row
                print(table([], {label: idle_row}).splitlines()[-1], flush=True)

            # Connect.
            deliveries = Deliveries()
            gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
            ws_url = urls[0].replace("http://", "ws://") + "/graphql"
            compression = None if args.compression == "none" else "deflate"
            started = time.perf_counter()
            opening = [
                asyncio.create_task(
                    _open(i, socket, url=ws_url, gate=gate, compression=compression, deliveries=deliveries)
                )
                for i, socket in enumerate(sockets)
            ]
            async with httpx.AsyncClient() as http:
                deadline = started + args.connect_deadline
                row.connect_deadline = args.connect_deadline
                done, _ = await asyncio.wait(opening, timeout=args.connect_deadline)
                tasks = [task for task in (t.result() for t in done if not t.cancelled()) if task is not None]
                row.connected = sum(socket.acked for socket in sockets)
                while time.perf_counter() < deadline:
                    if await _live_subscriptions(http, urls[0]) >= row.connected:
                        break
                    await asyncio.sleep(0.2)
                if row.connected == n and time.perf_counter() < deadline:
                    row.connected_seconds = time.perf_counter() - started
                for task in opening:
                    task.cancel()
                row.settle_seconds = await _settle(servers[0])

                # Idle (after PostgreSQL's counters have caught up with the connect phase's statements: the scrapes of
                # /metrics above count the backlogs in the database, and an idle backend reports up to 10 s late).
                await asyncio.sleep(11)
                row.cpu, row.client_cpu, row.sql_per_second = await _idle(
                    args.database_url, name, servers, me, args.idle_seconds
                )
                row.rss = (_rss_mb(servers[0]), _rss_mb(servers[1]))

                # Delivery: operator replies on B at a steady rate.
                answered: dict[int, float] = {}
                headers = {"Authorization": f"Bearer {operator_token}"}

                async def post(k: int) -> None:
                    response = await http.post(
                        f"{urls[1]}/graphql",
                        json={
                            "query": POST_MESSAGE,
                            "variables": {
                                "input": {
                                    "appealId": global_id("Appeal", appeals[k % len(appeals)]),
                                    "text": f"bench {k}",
                                }
                            },
                        },
                        headers=headers,
                        timeout=60,
                    )
                    at = time.perf_counter()
                    errors = response.json().get("errors") or response.json()["data"]["postAppealMessage"]["errors"]
                    if errors:
                        print(f"event {k}: {errors}", file=sys.stderr)
                        return
                    answered[k] = at

                client_before = _cpu_seconds(me)
                delivery_started = time.perf_counter()
                posting = []
                for k in range(args.events):
                    await asyncio.sleep(max(0.0, delivery_started + k / args.rate - time.perf_counter()))
                    posting.append(asyncio.create_task(post(k)))
                await asyncio.gather(*posting)
                expected = {k: len([i for i in listeners[k % len(appeals)] if sockets[i].acked]) for k in answered}
                wait_until = time.perf_counter() + LOSS_WAIT_SECONDS
                while time.perf_counter() < wait_until:
                    if all(len(deliveries.by_event.get(k, ())) >= count for k, count in expected.items()):
                        break
                    await asyncio.sleep(0.1)
                row.client_cpu_delivery = (
                    100 * (_cpu_seconds(me) - client_before) / (time.perf_counter() - delivery_started)
                )
                row.events = len(answered)
                row.expected = sum(expected.values())
                row.received = sum(min(len(deliveries.by_event.get(k, ())), count) for k, count in expected.items())
                row.duplicates = deliveries.duplicates
                row.latencies = [(at - answered[k]) * 1000 for k in answered for at in deliveries.by_event.get(k, ())]
                row.rss_peak = (_rss_mb(servers[0]), _rss_mb(servers[1]))
                if args.per_event:  # which events were late, and whether their deliveries were late together
                    for k in sorted(answered):
                        late = sorted((at - answered[k]) * 1000 for at in deliveries.by_event.get(k, ()))
                        if late:
                            print(f"  event {k}: {len(late)} deliveries, {late[0]:.0f}..{late[-1]:.0f} ms", flush=True)
    finally:
        for socket in sockets:
            if socket.ws is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(socket.ws.close(), timeout=1)
        for task in tasks:
            task.cancel()
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), timeout=20)
            except TimeoutError:
                process.kill()
                await process.wait()
        await db.dispose()
        await _admin(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return row


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def table(rows: list[Row], baseline: dict[str, Row]) -> str:
    lines = [
        "| code | subscribers | connected in | idle CPU A / B | idle SQL/s (both) | RSS A / B (after delivery) "
        "| delivery p50 / p99 / max | lost | client CPU idle / delivery | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, idle in baseline.items():
        lines.append(
            f"| {label} | 0 (jobs only) | – | {idle.cpu[0]:.1f} % / {idle.cpu[1]:.1f} % | {idle.sql_per_second:.1f} "
            f"| {idle.rss[0]:.0f} / {idle.rss[1]:.0f} MB | – | – | {idle.client_cpu:.1f} % / – | {idle.load} |"
        )
    for row in rows:
        connected = (
            f"{row.connected_seconds:.1f} s (+{row.settle_seconds:.0f} s settling)"
            if row.connected_seconds is not None
            else f"{row.connected:,} after {row.connect_deadline:.0f} s"
        )
        latency = (
            f"{statistics.median(row.latencies):.0f} / {_percentile(row.latencies, 0.99):.0f} / "
            f"{max(row.latencies):.0f} ms"
            if row.latencies
            else "–"
        )
        lost = f"{row.expected - row.received} of {row.expected} ({row.events} events)"
        if row.duplicates:
            lost += f", {row.duplicates} twice"
        lines.append(
            f"| {row.label} | {row.subscribers:,} | {connected} | {row.cpu[0]:.1f} % / {row.cpu[1]:.1f} % "
            f"| {row.sql_per_second:.1f} | {row.rss[0]:.0f} / {row.rss[1]:.0f} MB "
            f"({row.rss_peak[0]:.0f} / {row.rss_peak[1]:.0f}) | {latency} | {lost} "
            f"| {row.client_cpu:.1f} % / {row.client_cpu_delivery:.1f} % | {row.load} |"
        )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> str:
    roots = [(label, Path(path)) for label, _, path in (item.partition("=") for item in args.roots.split(","))]
    rows: list[Row] = []
    baseline: dict[str, Row] = {}
    for n in (int(value) for value in args.subscribers.split(",")):
        for label, root in roots:
            row = await run_case(label=label, root=root, n=n, args=args, baseline=baseline)
            rows.append(row)
            print(table([row], {}).splitlines()[-1], flush=True)
    return table(rows, baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", default="1000,2000,5000")
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0, help="events per second")
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--connect-deadline", type=float, default=120.0, help="seconds given to connect them all")
    parser.add_argument("--roots", default=f"this={ROOT}", help="label=checkout,… (each with its own .venv)")
    parser.add_argument("--compression", choices=["deflate", "none"], default="deflate")
    parser.add_argument("--server-env", action="append", default=[], help="NAME=value for the servers (repeatable)")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--output", default=None)
    parser.add_argument("--log-dir", default=None, help="keep the servers' output there")
    parser.add_argument("--per-event", action="store_true", help="print each event's first and last delivery")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 5,000 sockets here, 5,000 in server A
    output = asyncio.run(main_async(args))
    command = "uv run bench/subscribers.py " + " ".join(sys.argv[1:])
    text = f"{command}\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, 2 cores\n\n{output}\n"
    print()
    print(text)
    path = Path(args.output or ROOT / "bench" / "results" / f"subscribers-{time.strftime('%Y%m%d-%H%M')}.txt")
    path.write_text(text)


if __name__ == "__main__":
    main()

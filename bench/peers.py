"""Benchmark: the project against its peers on the same database and the same answer (issue 15's yardstick).

uv run bench/peers.py [--database-url postgresql://postgres@127.0.0.1:5432/lk_bench_speed] [--rounds 3]
                      [--duration 5] [--concurrency 1,16] [--executions compiled,graphql-core]
                      [--vs /path/to/another/checkout]

The peers, each a server of its own started here (and stopped here, by its own process group):
- project: `server.py` with WORKERS=1, the query below as GraphQL with a customer's bearer token (`me { … }`);
- PostGraphile v4 (`npx postgraphile@4`, from the npm registry) over the project's own tables, `--simple-collections
  both`, the same shape through its generated relations (`customerById → accountLinksByCustomerIdList → …`);
- raw: asyncpg + orjson (bench/peers_raw.py), three hand-written statements.
With `--vs <checkout>` the project of that checkout (its own `uv run server.py`) runs too, as `project@before`:
before and after in the same rounds. With `--executions compiled,graphql-core` the project runs twice, side by side
in the same rounds: a server per execution path (`LK_EXECUTION`, read at schema build: schema/core/build.py), named
`project:<execution>`; before and after of the compiled path in one run.

The query: a customer → personal accounts with their details, debt and utility provider → meters in service → the last
12 accepted readings of each meter. Same fields and the same rows in all three: checked once at start for a sample of
customers (accounts, meters and reading ids must be equal), else the benchmark stops.

The database must hold the benchmark data (`uv run server.py seed --accounts 100000` into it); a sample of seeded
customers gets real sessions and access tokens minted with the secret the project server is started with.
Runs are interleaved (round after round, each peer in turn for each concurrency) so that the noise of a shared
machine falls on all three alike; req/s is the median of the rounds, p50/p99 are over all recorded requests.
The load generator (httpx) runs on the same machine: its CPU is part of what is measured, equally for all.
Each server is driven once the database is quiet (bench/quiet.py): the project's start-up jobs (the analytics
refresh, about 30 s of PostgreSQL over 100,000 accounts) would otherwise fall on whichever is measured first.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import orjson  # noqa: E402
import redis  # noqa: E402

from bench.quiet import wait_for_quiet_database  # noqa: E402
from models.enums import Role  # noqa: E402
from services.auth_tokens import issue_access_token  # noqa: E402

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/lk_bench_speed"
SAMPLE_CUSTOMERS = 300
CHECKED_CUSTOMERS = 25
PEERS = ["project", "postgraphile", "raw"]  # the project's entries become one per --executions
BEFORE_ROOT: Path | None = None  # --vs: another checkout, run as "project@before"

PROJECT_QUERY = """
query Peers {
  me {
    id
    personalAccounts {
      id number address locality objectKind tariffCategory residents benefitRecipients areaM2
      utilityProvider { name inn phone }
      debt { electricity penalty stateDuty updatedAt }
      meters {
        id serial model zoneCount digits verificationDueOn isSmart
        readings(first: 12) { edges { node { id zone value takenOn source } } }
      }
    }
  }
}
"""

POSTGRAPHILE_QUERY = """
query Peers($customer: BigInt!) {
  customerById(id: $customer) {
    id
    accountLinksByCustomerIdList {
      personalAccountByAccountId {
        id number address locality objectKind tariffCategory residents benefitRecipients areaM2
        utilityProviderByUtilityProviderId { name inn phone }
        accountDebtByAccountId { electricity penalty stateDuty updatedAt }
        metersByAccountIdList(condition: { removedOn: null }, orderBy: [INSTALLED_ON_ASC, ID_ASC]) {
          id serial model zoneCount digits verificationDueOn isSmart
          readingsByMeterIdList(condition: { status: "ACCEPTED" }, orderBy: [TAKEN_ON_DESC, ID_DESC], first: 12) {
            id zone value takenOn source
          }
        }
      }
    }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Peer:
    """A server process group started here and stopped here (by its own process group id, nothing else)."""

    def __init__(self, name: str, url: str, secret: str) -> None:
        self.name = name
        self.port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secret, "LOG_LEVEL": "WARNING"}
        if name.startswith("project"):
            # A Redis database per project server: before and after must not spend one cost budget (429s are fast)
            env |= {"WORKERS": "1", "REDIS_URL": f"redis://127.0.0.1:6379/{9 if name.endswith('@before') else 8}"}
            redis.Redis.from_url(env["REDIS_URL"]).flushdb()
            if ":" in name:
                env["LK_EXECUTION"] = name.split(":", 1)[1]
            command = ["uv", "run", "server.py", "--host", "127.0.0.1", "--port", str(self.port)]
            self.path = "/graphql"
        elif name == "postgraphile":
            command = ["npx", "-y", "postgraphile@4", "-c", url, "--host", "127.0.0.1", "--port", str(self.port),
                       "--simple-collections", "both", "--disable-query-log"]  # fmt: skip
            self.path = "/graphql"
        else:
            command = ["uv", "run", "uvicorn", "bench.peers_raw:app", "--host", "127.0.0.1", "--port",
                       str(self.port), "--no-access-log", "--log-level", "warning", "--loop", "uvloop",
                       "--http", "httptools"]  # fmt: skip
            self.path = "/peers"
        self.log = open(f"/tmp/lk_peers_{name}.log", "wb")  # noqa: SIM115
        root = BEFORE_ROOT if name.endswith("@before") and BEFORE_ROOT is not None else ROOT
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)  # fmt: skip

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        probe = {"query": "{ __typename }"}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log.name}")
            try:
                if self.name == "raw":
                    ok = httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200
                else:
                    ok = httpx.post(f"http://127.0.0.1:{self.port}/graphql", json=probe, timeout=1).status_code == 200
                if ok:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} did not become ready; see {self.log.name}")

    def request(self, customer_id: int, token: str) -> tuple[bytes, dict[str, str]]:
        headers = {"Content-Type": "application/json"}
        if self.name.startswith("project"):
            headers["Authorization"] = f"Bearer {token}"
            return orjson.dumps({"query": PROJECT_QUERY}), headers
        if self.name == "postgraphile":
            return orjson.dumps({"query": POSTGRAPHILE_QUERY, "variables": {"customer": str(customer_id)}}), headers
        return orjson.dumps({"customer": customer_id}), headers

    def rss_mb(self) -> float:
        """The resident memory of the peer's process group (the server and anything it started)."""
        total = 0
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == self.process.pid:  # the process group id
                    total += int((status.parent / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, IndexError, ValueError):
                continue
        return total / 2**20

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


# ---------------------------------------------------------------- the same rows in all three


def _node_id(value: Any) -> int:
    """A project global id (base64 "Type:id") or a plain id → the row id."""
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    return int(base64.b64decode(value).decode().split(":", 1)[1])


def _shape(name: str, body: dict[str, Any]) -> tuple[Any, ...]:
    """(account numbers, meter serials per account, reading ids per meter) of one answer, order-free where the
    peers may order differently (accounts: the project sorts by number, PostGraphile by link)."""
    assert not body.get("errors"), (name, body.get("errors"))
    data = body["data"]
    meters_key, readings_key = ("metersByAccountIdList", "readingsByMeterIdList")
    if name.startswith("project"):
        accounts = data["me"]["personalAccounts"]
        meters_key, readings_key = "meters", "readings"
    elif name == "postgraphile":
        accounts = [link["personalAccountByAccountId"] for link in data["customerById"]["accountLinksByCustomerIdList"]]
    else:
        accounts = data["customer"]["personalAccounts"]
        meters_key, readings_key = "meters", "readings"

    def readings_of(meter: dict[str, Any]) -> list[dict[str, Any]]:
        readings = meter[readings_key]
        return [edge["node"] for edge in readings["edges"]] if isinstance(readings, dict) else list(readings)

    shape = []
    for account in accounts:
        meters = [
            (meter["serial"], tuple(_node_id(reading["id"]) for reading in readings_of(meter)))
            for meter in account[meters_key]
        ]
        shape.append((account["number"], account["locality"], tuple(meters)))
    return tuple(sorted(shape))


async def check_same_rows(peers: list[Peer], sample: list[tuple[int, str]]) -> tuple[int, int, int]:
    """Ask every peer for the same customers; their answers must hold the same rows. Returns the rows compared."""
    counts = [0, 0, 0]
    async with httpx.AsyncClient(timeout=60) as client:
        for customer_id, token in sample:
            shapes = {}
            for peer in peers:
                content, headers = peer.request(customer_id, token)
                response = await client.post(f"http://127.0.0.1:{peer.port}{peer.path}", content=content,
                                             headers=headers)  # fmt: skip
                shapes[peer.name] = _shape(peer.name, response.json())
            first = shapes[peers[0].name]
            for name, shape in shapes.items():
                if shape != first:
                    raise SystemExit(f"{name} answers other rows than {peers[0].name} for customer {customer_id}")
            counts[0] += len(first)
            counts[1] += sum(len(meters) for _, _, meters in first)
            counts[2] += sum(len(readings) for _, _, meters in first for _, readings in meters)
    return counts[0], counts[1], counts[2]


# ---------------------------------------------------------------- load


@dataclass
class Result:
    rates: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: int = 0  # answered, but not 200 or with GraphQL errors
    failed: int = 0  # no answer: the connection broke (counted, the client retries on a new one)
    failures: list[str] = field(default_factory=list)  # the first few, printed

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")

    @property
    def rate(self) -> float:
        return statistics.median(self.rates) if self.rates else float("nan")


async def drive(
    peer: Peer, customers: list[tuple[int, str]], *, concurrency: int, duration: float, result: Result
) -> None:
    loop = asyncio.get_running_loop()
    url = f"http://127.0.0.1:{peer.port}{peer.path}"
    requests = [peer.request(customer_id, token) for customer_id, token in customers]
    # keepalive_expiry below every server's idle timeout (uvicorn's and Node's are 5 s): a connection the server is
    # closing at the same moment is never reused.
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=2)
    recorded: list[float] = []
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:

        async def client_task(seed: int, until: float, record: bool) -> None:
            rng = random.Random(seed)  # the same customers in the same order for every peer
            while loop.time() < until:
                content, headers = rng.choice(requests)
                started = time.perf_counter()
                try:
                    response = await client.post(url, content=content, headers=headers)
                except httpx.TransportError as error:  # a peer that closed a connection must not end the whole run
                    result.failed += 1
                    if len(result.failures) < 3:
                        result.failures.append(f"{type(error).__name__}: {error}")
                    continue
                elapsed = time.perf_counter() - started
                if response.status_code != 200 or b'"errors":' in response.content:
                    result.errors += 1
                if record:
                    recorded.append(elapsed)

        warm_until = loop.time() + 1
        await asyncio.gather(*(client_task(i, warm_until, False) for i in range(concurrency)))
        started = loop.time()
        await asyncio.gather(*(client_task(1000 + i, started + duration, True) for i in range(concurrency)))
        seconds = loop.time() - started
    result.rates.append(len(recorded) / seconds)
    result.latencies.extend(recorded)


# ---------------------------------------------------------------- preparation


async def sample_customers(url: str, secret: str) -> list[tuple[int, str]]:
    """Seeded customers with accounts, each given a real session and an access token for it."""
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT c.id FROM customer c WHERE c.phone LIKE '+7900%' "
            "AND EXISTS (SELECT 1 FROM account_link l WHERE l.customer_id = c.id) ORDER BY random() LIMIT $1",
            SAMPLE_CUSTOMERS,
        )
        if len(rows) < SAMPLE_CUSTOMERS:
            raise SystemExit("the database holds no benchmark data: uv run server.py seed --accounts 100000")
        now = datetime.now(UTC)
        sessions = [(row["id"], uuid.uuid4()) for row in rows]
        await connection.executemany(
            "INSERT INTO auth_session (id, customer_id, created_at, last_used_at, expires_at, ip) "
            "VALUES ($1, $2, $3, $3, $4, '127.0.0.1')",
            [(session_id, customer_id, now, now + timedelta(days=1)) for customer_id, session_id in sessions],
        )
    finally:
        await connection.close()
    tokens = []
    for customer_id, session_id in sessions:
        token, _ = issue_access_token(
            secret=secret, customer_id=customer_id, role=Role.CUSTOMER, session_id=session_id, now=now
        )
        tokens.append((customer_id, token))
    return tokens


def _table(results: dict[tuple[str, int], Result], concurrency: list[int], rss: dict[str, float]) -> list[str]:
    lines = [
        f"{'clients':>7} {'peer':>22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'failed':>6} "
        f"{'RSS MB':>7}",
    ]
    for clients in concurrency:
        for name in PEERS:
            result = results[(name, clients)]
            lines.append(f"{clients:>7} {name:>22} {result.rate:>8.1f} {result.percentile(0.5):>8.1f} "
                         f"{result.percentile(0.99):>8.1f} {result.errors:>6} {result.failed:>6} "
                         f"{rss.get(name, 0):>7.0f}")  # fmt: skip
    lines.append("")
    lines.append(f"{'clients':>7} {'project':>22} {'÷ PostGraphile':>15} {'÷ raw':>6}")
    for clients in concurrency:
        for name in [name for name in PEERS if name.startswith("project")]:
            project = results[(name, clients)].rate
            lines.append(f"{clients:>7} {name:>22} {project / results[('postgraphile', clients)].rate:>15.2f} "
                         f"{project / results[('raw', clients)].rate:>6.2f}")  # fmt: skip
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--concurrency", default="1,16")
    parser.add_argument("--executions", default="", help="e.g. compiled,graphql-core: a project server for each")
    parser.add_argument("--vs", type=Path, default=None, help="another checkout, run as project@before")
    args = parser.parse_args()
    if args.executions:
        PEERS[:1] = [f"project:{execution}" for execution in args.executions.split(",")]
    if args.vs is not None:
        global BEFORE_ROOT  # noqa: PLW0603 - set once from the command line, read by Peer
        BEFORE_ROOT = args.vs.resolve()
        PEERS.insert(0, "project@before")
    concurrency = [int(c) for c in args.concurrency.split(",")]
    secret = secrets.token_urlsafe(48)
    customers = asyncio.run(sample_customers(args.database_url, secret))

    peers = [Peer(name, args.database_url, secret) for name in PEERS]
    try:
        for peer in peers:
            peer.wait_ready()
        accounts, meters, readings = asyncio.run(check_same_rows(peers, customers[:CHECKED_CUSTOMERS]))
        print(f"same rows in all three for {CHECKED_CUSTOMERS} customers: {accounts} accounts, {meters} meters, "
              f"{readings} readings", flush=True)  # fmt: skip
        results = {(name, clients): Result() for name in PEERS for clients in concurrency}
        rss: dict[str, float] = {}
        for round_number in range(1, args.rounds + 1):
            for clients in concurrency:
                for peer in peers:
                    result = results[(peer.name, clients)]
                    # The project's start-up jobs (the analytics refresh, a billing close) done first (bench/quiet.py)
                    waited = asyncio.run(wait_for_quiet_database(args.database_url))
                    if waited > 3:
                        print(f"  waited {waited:.0f} s for the database's start-up work to end", flush=True)
                    asyncio.run(drive(peer, customers, concurrency=clients, duration=args.duration, result=result))
                    rss[peer.name] = max(rss.get(peer.name, 0), peer.rss_mb())
                    failed = f", {result.failed} failed so far ({'; '.join(result.failures)})" if result.failed else ""
                    print(f"  round {round_number} clients={clients:2} {peer.name:>12}: {result.rates[-1]:7.1f} req/s"
                          f"  (load {os.getloadavg()[0]:.1f}){failed}", flush=True)  # fmt: skip
    finally:
        for peer in peers:
            peer.stop()
    for peer in peers:
        if any(results[(peer.name, clients)].failed for clients in concurrency):
            tail = Path(peer.log.name).read_text(errors="replace").splitlines()[-15:]
            print(f"\n{peer.name} broke connections; the end of its log ({peer.log.name}):", *tail, sep="\n  ")
    print()
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} (1, 5, 15 min) at the end")
    print("\n".join(_table(results, concurrency, rss)))


if __name__ == "__main__":
    main()

"""Benchmark: how long the server takes to start, as people start it.

uv run bench/startup.py [--runs 5] [--database-url postgresql://…]

Prints, with the bytecode caches as they are, with PYTHONDONTWRITEBYTECODE=1, and with no bytecode at all
(PYTHONDONTWRITEBYTECODE=1 and an empty PYTHONPYCACHEPREFIX: every module compiled at every start, as in a read-only
fresh checkout), the median / min / max of:
- `import server` and `import resolvers.root` (the whole schema) in a fresh interpreter (CPU seconds of the process);
- a warm start: `server.py --port P` on a data directory prepared by a first (cold) start, from launch until the first
  `{ __typename }` answer, then Ctrl-C and the time to exit. Without --database-url the embedded PostgreSQL is used
  (its start is part of what is measured, as in `uv run server.py`).
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def import_seconds(module: str, env: dict[str, str], root: Path = ROOT) -> float:
    """CPU seconds (user + system) of a fresh interpreter importing `module`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([python_of(root), "-c", f"import {module}"], cwd=root, env=env, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def python_of(root: Path) -> str:
    """The checkout's own interpreter (its .venv), else this one."""
    own = root / ".venv" / "bin" / "python"
    return str(own) if own.exists() else sys.executable


def start_seconds(
    env: dict[str, str], root: Path = ROOT, *, measure: bool = False
) -> tuple[float, float, tuple[float, float]]:
    """Seconds from launch to the first answer, from Ctrl-C to exit, and (with `measure`) the server process's CPU
    seconds until then and its resident memory in MB at the first answer (CPU varies less than time on a busy
    machine)."""
    with tempfile.TemporaryFile() as log:
        port = free_port()
        started = time.perf_counter()
        process = subprocess.Popen(
            [python_of(root), "server.py", "--port", str(port)], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-3000:]
                    raise RuntimeError(f"server in {root} exited with {process.returncode}:\n{tail}")
                try:
                    url = f"http://127.0.0.1:{port}/graphql"
                    if httpx.post(url, json={"query": "{ __typename }"}, timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.02)
            ready = time.perf_counter() - started
            used = (0.0, 0.0)
            if measure:
                import psutil

                server = psutil.Process(process.pid)
                cpu = server.cpu_times()  # with its waited-for children: pg_ctl, psql
                seconds = cpu.user + cpu.system + cpu.children_user + cpu.children_system
                used = (seconds, server.memory_info().rss / 2**20)
            stopping = time.perf_counter()
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
            return ready, time.perf_counter() - stopping, used
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def row(name: str, values: list[float]) -> str:
    return f"| {name:<58} | {statistics.median(values):6.2f} | {min(values):6.2f} | {max(values):6.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--vs",
        type=Path,
        metavar="CHECKOUT",
        help="another checkout (e.g. a git worktree of an earlier commit, with its own .venv): `import server` and the "
        "warm start (its CPU and RSS too), bytecode cached and none, run in turn with this one (A B A B …), medians "
        "and the ratios",
    )
    parser.add_argument("--cached-only", action="store_true", help="with --vs: the bytecode-cached variant only")
    args = parser.parse_args()
    if args.vs is not None:
        compare(args.vs, args.runs, cached_only=args.cached_only)
        return

    with tempfile.TemporaryDirectory(prefix="lk-startup-") as data_dir:
        # The first variant is the usual one: bytecode written and reused. A shell that sets PYTHONDONTWRITEBYTECODE
        # (as some here do) would otherwise measure every variant without a cache.
        dropped = ("DATABASE_URL", "REDIS_URL", "WORKERS", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
        base = {key: value for key, value in os.environ.items() if key not in dropped}
        base.update(DATA_DIR=data_dir, LOG_LEVEL="WARNING")
        if args.database_url:
            base["DATABASE_URL"] = args.database_url
        start_seconds(base)  # the cold start: a new cluster, migrations, demo data
        print(f"{args.runs} runs each, median / min / max seconds; load average {os.getloadavg()[0]:.2f}")
        print(f"| {'what':<58} | median |    min |    max |")
        print(f"|{'-' * 60}|--------|--------|--------|")
        no_cache = tempfile.mkdtemp(prefix="lk-no-pycache-")
        variants: list[tuple[str, dict[str, str]]] = [
            (", bytecode cached", {}),
            (", PYTHONDONTWRITEBYTECODE=1", {"PYTHONDONTWRITEBYTECODE": "1"}),
            (", no bytecode", {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": no_cache}),
        ]
        for label, extra in variants:
            env = {**base, **extra}
            for module in ("server", "resolvers.root"):
                print(row(f"import {module} (CPU){label}", [import_seconds(module, env) for _ in range(args.runs)]))
            starts = [start_seconds(env) for _ in range(args.runs)]
            print(row(f"warm start to first answer{label}", [ready for ready, _, _ in starts]))
            print(row(f"Ctrl-C to exit{label}", [stop for _, stop, _ in starts]))


def compare(other: Path, runs: int, *, cached_only: bool = False) -> None:
    """This checkout (A) and another (B) in turn, A B A B …: with the bytecode caches as they are, then with none
    (PYTHONDONTWRITEBYTECODE=1 and an empty PYTHONPYCACHEPREFIX: every module compiled at every start)."""
    dropped = ("DATABASE_URL", "REDIS_URL", "WORKERS", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    base = {key: value for key, value in os.environ.items() if key not in dropped}
    base["LOG_LEVEL"] = "WARNING"
    no_cache = tempfile.mkdtemp(prefix="lk-no-pycache-")
    variants: tuple[tuple[str, dict[str, str]], ...] = (
        ("bytecode cached", {}),
        ("no bytecode", {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": no_cache}),
    )[: 1 if cached_only else 2]
    with (
        tempfile.TemporaryDirectory(prefix="lk-startup-a-") as dir_a,
        tempfile.TemporaryDirectory(prefix="lk-startup-b-") as dir_b,
    ):
        checkouts = ((ROOT, {**base, "DATA_DIR": dir_a}), (other.resolve(), {**base, "DATA_DIR": dir_b}))
        for root, env in checkouts:
            start_seconds(env, root)  # the cold start of each: a new cluster, migrations, demo data
        loads = [os.getloadavg()[0]]
        print(f"A = {ROOT}, B = {other.resolve()}; {runs} runs each in turn, median / min / max")
        print(f"| {'what':<58} | median |    min |    max |")
        print(f"|{'-' * 60}|--------|--------|--------|")
        for label, extra in variants:
            imports: list[list[float]] = [[], []]
            starts: list[list[float]] = [[], []]
            cpu: list[list[float]] = [[], []]
            rss: list[list[float]] = [[], []]
            for _ in range(runs):
                for index, (root, env) in enumerate(checkouts):
                    imports[index].append(import_seconds("server", {**env, **extra}, root))
                    ready, _, (seconds, megabytes) = start_seconds({**env, **extra}, root, measure=True)
                    starts[index].append(ready)
                    cpu[index].append(seconds)
                    rss[index].append(megabytes)
                loads.append(os.getloadavg()[0])
            for index, name in enumerate("AB"):
                print(row(f"{name}: import server (CPU s), {label}", imports[index]))
                print(row(f"{name}: warm start to first answer (s), {label}", starts[index]))
                print(row(f"{name}: CPU of the server process until then (s), {label}", cpu[index]))
                print(row(f"{name}: RSS at the first answer (MB), {label}", rss[index]))
            pairs = [a / b for a, b in zip(starts[0], starts[1], strict=True)]
            print(row(f"A ÷ B, warm start (pair by pair), {label}", pairs))
            print(row(f"A ÷ B, CPU of the start (pair by pair), {label}", [a / b for a, b in zip(*cpu, strict=True)]))
        print(f"load average (1 min) during the runs: {min(loads):.2f} to {max(loads):.2f}")


if __name__ == "__main__":
    main()

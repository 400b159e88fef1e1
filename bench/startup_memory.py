"""Benchmark: the resident memory of one server process, idle and after cabinet requests, this checkout and another.

uv run bench/startup_memory.py --vs CHECKOUT [--rounds 2] [--requests 200]

Each checkout's server (`server.py`, one worker, the embedded PostgreSQL with the demo data, a data directory of its
own) is started in turn (A B A B …); its RSS is read at the first answer, then after `--requests` full cabinet queries
(bench/cabinet.graphql, the last 12 months) of the demo customer, sent one after another.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.startup import free_port, python_of  # noqa: E402

QUERY = (ROOT / "bench" / "cabinet.graphql").read_text()
SIGN_IN = "mutation($phone: String!, $password: String!) { signIn(input: {phone: $phone, password: $password}) "
SIGN_IN += "{ session { accessToken } errors { code } } }"


def measure(root: Path, env: dict[str, str], requests: int) -> tuple[float, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    process = subprocess.Popen(
        [python_of(root), "server.py", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            assert process.poll() is None, f"the server in {root} ended"
            try:
                if httpx.post(url, json={"query": "{ __typename }"}, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        idle = psutil.Process(process.pid).memory_info().rss / 2**20
        with httpx.Client(timeout=60) as client:
            variables = {"phone": "+79210000001", "password": "Demo2026pass"}
            signed_in = client.post(url, json={"query": SIGN_IN, "variables": variables}).json()
            token = signed_in["data"]["signIn"]["session"]["accessToken"]
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(requests):
                answer = client.post(url, json={"query": QUERY}, headers=headers)
                if answer.status_code != 200 or "errors" in answer.json():
                    raise RuntimeError(f"the cabinet query failed: {answer.text[:500]}")
        loaded = psutil.Process(process.pid).memory_info().rss / 2**20
        return idle, loaded
    finally:
        process.terminate()
        process.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vs", type=Path, required=True, metavar="CHECKOUT")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    dropped = ("DATABASE_URL", "REDIS_URL", "WORKERS", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    base = {key: value for key, value in os.environ.items() if key not in dropped}
    # 200 full cabinets a minute are far over a customer's cost budget: it is not what is measured here.
    base.update(LOG_LEVEL="WARNING", COST_BUDGET="off")
    with (
        tempfile.TemporaryDirectory(prefix="lk-memory-a-") as dir_a,
        tempfile.TemporaryDirectory(prefix="lk-memory-b-") as dir_b,
    ):
        checkouts = ((ROOT, {**base, "DATA_DIR": dir_a}), (args.vs.resolve(), {**base, "DATA_DIR": dir_b}))
        for root, env in checkouts:
            measure(root, env, 1)  # the cold start of each: a new cluster, migrations, demo data
        idle: list[list[float]] = [[], []]
        loaded: list[list[float]] = [[], []]
        for _ in range(args.rounds):
            for index, (root, env) in enumerate(checkouts):
                first, after = measure(root, env, args.requests)
                idle[index].append(first)
                loaded[index].append(after)
        print(f"A = {ROOT}, B = {args.vs.resolve()}; {args.rounds} rounds in turn, median / min / max MB")
        print(f"load average {os.getloadavg()[0]:.2f}")
        for index, name in enumerate("AB"):
            rows = (
                ("RSS idle at the first answer", idle[index]),
                (f"RSS after {args.requests} cabinet requests", loaded[index]),
            )
            for what, values in rows:
                figures = f"{statistics.median(values):6.1f} | {min(values):6.1f} | {max(values):6.1f}"
                print(f"| {name}: {what:<55} | {figures} |")


if __name__ == "__main__":
    main()

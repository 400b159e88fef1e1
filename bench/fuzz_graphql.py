"""GraphQL fuzzing of a running server with schemathesis (issue 13): queries and mutations generated from the
schema, sent with a customer's token; any HTTP 5xx or `INTERNAL_SERVER_ERROR` is a failure.

    uv run python bench/fuzz_graphql.py --url http://127.0.0.1:8000 --cases 2000

The token is the demo customer's (`signIn` with the demo phone and password), unless `--token` is given. Run the
server with `COST_BUDGET=off`: 2,000 cases in a minute are far beyond a customer's budget, and RATE_LIMITED answers
would leave most of the schema untried. Prints a table per root field and exits 1 on any server error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core.result import Ok

from services.demo.credentials import DEMO_PASSWORD, DEMO_PHONE

SIGN_IN = "mutation($phone: String!, $password: String!) { signIn(input: {phone: $phone, password: $password}) { session { accessToken } errors { code } } }"  # noqa: E501


def register_scalars() -> None:
    """Our custom scalars: well-formed values and odd ones (text, huge numbers) alike."""
    from hypothesis import strategies as st
    from hypothesis_graphql import nodes

    text = st.text(max_size=30).map(nodes.String)
    big = st.integers(min_value=-(2**70), max_value=2**70).map(nodes.Int)
    dates = st.dates().map(lambda value: nodes.String(value.isoformat()))
    moments = st.datetimes().map(lambda value: nodes.String(value.isoformat() + "+03:00"))
    decimals = st.decimals(allow_nan=False, allow_infinity=False, places=3).map(lambda value: nodes.String(str(value)))
    for name, strategy in {
        "Date": dates | text,
        "DateTime": moments | text,
        "Decimal": decimals | text | big,
        "KilowattHours": decimals | text | big,
        "Kopecks": big | text,
        "WattHours": big | text,
        "PackedSeries": text,
        "Upload": st.just(nodes.Null),
    }.items():
        schemathesis.graphql.scalar(name, strategy)


def demo_token(url: str) -> str:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": SIGN_IN, "variables": {"phone": DEMO_PHONE, "password": DEMO_PASSWORD}},
        timeout=30,
    )
    payload = (response.json().get("data") or {}).get("signIn") or {}
    if not payload.get("session"):
        raise SystemExit(f"demo sign-in failed: {response.text}")
    return str(payload["session"]["accessToken"])


def server_error(response: Any) -> str | None:
    """Why this answer is a server error, or None."""
    if response.status_code >= 500:
        return f"HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        return "not JSON"
    for error in (body.get("errors") if isinstance(body, dict) else None) or ():
        if (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR":
            return f"INTERNAL_SERVER_ERROR at {error.get('path')}"
    return None


@dataclass
class Tally:
    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[tuple[str, str, str]] = field(default_factory=list)


def fuzz_one(
    operation: Any, examples: int, client: httpx.Client, *, url: str, headers: dict[str, str], tally: Tally
) -> None:
    """`examples` generated cases of one root field, each sent to the server and judged."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        body = case.body if isinstance(case.body, dict) else {"query": case.body}
        response = client.post(f"{url}/graphql", json=body, headers=headers)
        tally.sent[operation.label] += 1
        tally.statuses[response.status_code] += 1
        why = server_error(response)
        if why is not None:
            tally.failures.append((operation.label, why, str(body.get("query", ""))[:500]))

    fuzz()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--cases", type=int, default=2000, help="at least this many cases in all")
    parser.add_argument("--token", help="a bearer token (default: the demo customer's)")
    args = parser.parse_args()

    register_scalars()
    token = args.token or demo_token(args.url)
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.graphql.from_url(f"{args.url}/graphql", headers=headers)
    # An operation schemathesis cannot build is left out (none is, today).
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    # 10 % more per root field: hypothesis stops early on a field with few distinct inputs.
    per_operation = -(-args.cases * 11 // (10 * len(operations)))
    tally = Tally()
    started = time.perf_counter()

    with httpx.Client(timeout=30) as client:
        for operation in operations:
            fuzz_one(operation, per_operation, client, url=args.url, headers=headers, tally=tally)

    took = time.perf_counter() - started
    sent, statuses, failures = tally.sent, tally.statuses, tally.failures
    total = sum(sent.values())
    print(f"{'root field':<50} {'cases':>6}")
    for label, count in sorted(sent.items()):
        print(f"{label:<50} {count:>6}")
    print(f"{'all (' + str(len(operations)) + ' root fields)':<50} {total:>6}")
    print(f"HTTP statuses: {dict(sorted(statuses.items()))}; {took:.0f} s; server errors: {len(failures)}")
    for label, why, query in failures[:20]:
        print(f"- {label}: {why}\n  {query}")
    return 1 if failures or total < args.cases else 0


if __name__ == "__main__":
    sys.exit(main())

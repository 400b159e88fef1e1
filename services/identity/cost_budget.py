"""A cost budget per minute for each viewer (each client address for anonymous requests), like Kraken's points per
hour (issue 13): the per-query cost limit alone let one client send query after query at the limit.

Each executed query or mutation is charged its cost (what the cost rule counts for the document) to a counter of the
rate limiter, in fixed one-minute windows aligned to the clock. A query that does not fit in what is left of the
window is refused whole and charged nothing; the client learns how long to wait.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

BudgetRole = Literal["anonymous", "customer", "operator", "analyst", "admin", "service"]

COST_WINDOW = timedelta(minutes=1)
# Points per minute. Each is at least the cost limit of one query (50,000), so any valid query can run once a minute.
# A customer's full cabinet costs about 1,000-3,000; staff lists and analysts' aggregates are larger; integrations
# (service tokens) import and read in bulk. The README's limits section publishes this table.
COST_BUDGETS: dict[BudgetRole, int] = {
    "anonymous": 50_000,
    "customer": 200_000,
    "operator": 500_000,
    "analyst": 500_000,
    "admin": 500_000,
    "service": 1_000_000,
}


@dataclass(frozen=True, slots=True)
class CostCharge:
    requested: int  # the query's cost
    limit: int  # the budget per window
    remaining: int  # what is left of the window's budget after this query (or untouched, when refused)
    reset_at: datetime  # when the window ends and the budget is whole again
    refused: bool

    def retry_after(self, *, now: datetime) -> int:
        """Whole seconds until the budget is whole again (at least 1)."""
        return max(math.ceil((self.reset_at - now).total_seconds()), 1)


def budget_key(*, customer_id: int | None, service_token_id: int | None, client_ip: str) -> str:
    """Whose budget a request spends: the signed-in person's (across their sessions), an integration's, or the
    address's for anonymous requests."""
    if customer_id is not None:
        return f"cost:viewer:{customer_id}"
    if service_token_id is not None:
        return f"cost:service:{service_token_id}"
    return f"cost:ip:{client_ip}"

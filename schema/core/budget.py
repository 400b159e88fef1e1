"""Charges each executed query and mutation its cost against the viewer's budget per minute
(`services.identity.cost_budget`), and tells the client: `extensions.cost` and `X-Cost` / `X-RateLimit-*` headers.

Charged after validation, on every execution: a document the validation cache already knows costs the same each
time. Over budget, nothing runs: `RATE_LIMITED` with the seconds to wait (HTTP 429 with Retry-After). Subscriptions
are bounded by the websocket caps instead. If the limiter cannot be reached (PostgreSQL away while Redis is too),
the request is served uncharged: the outage answers 503 wherever the request needs the database anyway.

A request refused before execution (a parse or validation error, the cost limit, a persisted-query miss, a batch or
body refusal) is charged nothing, and still told its cost (0, or what the cost limit counted) and the budget left:
`uncharged_report`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any

import structlog
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from models.enums import Role
from schema.core.cost import selected_operation_cost
from services.auth_tokens import Viewer
from services.identity.cost_budget import COST_BUDGETS, COST_WINDOW, BudgetRole, CostCharge, budget_key
from services.identity.limits import window_bounds
from services.integrations.service_tokens import ServicePrincipal
from services.platform.database import database_unavailable
from services.platform.redis_errors import is_redis_error
from services.platform.runtime import Runtime

log = structlog.get_logger("graphql")

RATE_LIMITED = "RATE_LIMITED"
_ROLES: dict[Role, BudgetRole] = {
    Role.CUSTOMER: "customer",
    Role.OPERATOR: "operator",
    Role.ANALYST: "analyst",
    Role.ADMIN: "admin",
}


# The charge of the operation running in this task: an execution stopped by its time budget loses the extension's
# results, and the view still reports what was charged (schema/core/view.py).
_charged: ContextVar[CostCharge | None] = ContextVar("cost_charged", default=None)


def charged_in_this_task() -> CostCharge | None:
    return _charged.get()


def forget_charge() -> None:
    """Before an operation: a batch's operations may share a task."""
    _charged.set(None)


class CostBudget(SchemaExtension):
    charge: CostCharge | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context: Any = execution.context
        runtime = getattr(context, "runtime", None)
        document = execution.graphql_document
        if (
            runtime is None
            or not runtime.settings.cost_budget
            or document is None
            or execution.operation_type not in (OperationType.QUERY, OperationType.MUTATION)
        ):
            yield
            return
        key, role = _whose(context.viewer, context.service, context.client_ip)
        cost = selected_operation_cost(execution.schema._schema, document, execution._provided_operation_name)
        now = runtime.clock.now()
        try:
            self.charge = charge = await runtime.cost_ledger.charge(
                key=key, role=role, cost=cost, now=now, exact=execution.operation_type is OperationType.MUTATION
            )
            _charged.set(charge)
        except Exception as error:
            if not (is_redis_error(error) or database_unavailable(error)):
                raise
            log.warning("cost budget not charged: limiter unavailable", error=f"{type(error).__name__}: {error}")
            yield
            return
        response = context.response
        retry_after = charge.retry_after(now=now)
        if isinstance(response, Response):
            set_cost_headers(response, charge)
            if charge.refused:
                response.status_code = 429
                response.headers["Retry-After"] = str(retry_after)
        if charge.refused:
            execution.result = GraphQLExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        f"Превышен бюджет запросов: стоимость {charge.requested} при остатке {charge.remaining} из "
                        f"{charge.limit} в минуту. Повторите через {retry_after} с",
                        extensions={"code": RATE_LIMITED, "retryAfter": retry_after},
                    )
                ],
            )
        yield

    def get_results(self) -> dict[str, Any]:
        charge = self.charge
        return {} if charge is None else {"cost": cost_extension(charge)}


def _whose(viewer: Viewer | None, service: ServicePrincipal | None, client_ip: str) -> tuple[str, BudgetRole]:
    """Whose budget a request spends, and that budget's role."""
    role: BudgetRole = _ROLES[viewer.role] if viewer is not None else "service" if service is not None else "anonymous"
    key = budget_key(
        customer_id=viewer.customer_id if viewer is not None else None,
        service_token_id=service.token_id if service is not None else None,
        client_ip=client_ip,
    )
    return key, role


def cost_extension(charge: CostCharge) -> dict[str, Any]:
    """`extensions.cost` of a response."""
    return {
        "requested": charge.requested,
        "limit": charge.limit,
        "remaining": charge.remaining,
        "resetAt": charge.reset_at.isoformat(),
    }


def set_cost_headers(response: Response, charge: CostCharge) -> None:
    response.headers["X-Cost"] = str(charge.requested)
    response.headers["X-RateLimit-Limit"] = str(charge.limit)
    response.headers["X-RateLimit-Remaining"] = str(charge.remaining)
    response.headers["X-RateLimit-Reset"] = str(int(charge.reset_at.timestamp()))


async def uncharged_report(
    runtime: Runtime,
    *,
    viewer: Viewer | None,
    service: ServicePrincipal | None,
    client_ip: str,
    requested: int,
) -> CostCharge | None:
    """The cost report of a request refused before execution: charged nothing, the budget left as it is. None when
    the budget is off or the limiter cannot be reached."""
    if not runtime.settings.cost_budget:
        return None
    key, role = _whose(viewer, service, client_ip)
    now = runtime.clock.now()
    try:
        spent = await runtime.cost_ledger.spent(key, now=now)
    except Exception as error:
        if not (is_redis_error(error) or database_unavailable(error)):
            raise
        return None
    limit = COST_BUDGETS[role]
    _, reset_at = window_bounds(now, COST_WINDOW)
    return CostCharge(requested, limit, max(limit - spent, 0), reset_at, refused=False)

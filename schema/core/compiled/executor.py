"""The execution context that runs a query through its compiled plan, and everything else the usual way.

`LK_EXECUTION=graphql-core` (read when the schema is built, `schema/core/build.py`) turns the compiled path off: the
operators' kill switch, and what the differential test compares against (tests/support/graphql.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

from graphql import ExecutionResult, GraphQLResolveInfoHelpers, OperationType
from graphql.pyutils import gather_with_cancel, is_awaitable

from schema.core.compiled.plan import ObjectPlan, plan_for
from schema.core.compiled.run import Run
from schema.core.execution import PlainFieldsExecutionContext


class CompiledExecutionContext(PlainFieldsExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        plan = self._compiled_plan() if serially is None else None
        if plan is None:
            return super().execute_operation(serially)
        return self._execute_plan(plan)

    def _compiled_plan(self) -> ObjectPlan | None:
        if self.operation.operation is not OperationType.QUERY:
            return None
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:  # a resolve-hook extension must see every field
            return None
        if self.abort_signal is not None or self.hooks is not None or not self.error_propagation:
            return None
        return plan_for(self)

    async def _execute_plan(self, plan: ObjectPlan) -> ExecutionResult:
        try:
            data = await Run(self).execute(plan, self.root_value)
            return self.build_response(data)  # type: ignore[return-value]
        finally:
            # graphql-core's helpers hold this context's own methods: a cycle that would leave the request's whole
            # answer to the garbage collector. The operation is over; what a resolver might still hand them is
            # settled all the same, without this context.
            self.async_helpers = _AFTER_EXECUTION


_settling: set[asyncio.Future[Any]] = set()


def _gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
    return gather_with_cancel(*values)


def _settle_in_background(values: Sequence[Any]) -> None:
    awaitables = [value for value in values if is_awaitable(value)]
    if awaitables:
        future = asyncio.gather(*awaitables, return_exceptions=True)
        _settling.add(future)
        future.add_done_callback(_settling.discard)


_AFTER_EXECUTION = GraphQLResolveInfoHelpers(gather=_gather, track=_settle_in_background)

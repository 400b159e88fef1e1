"""The execution context that runs a query through its compiled plan, and everything else the usual way.

`LK_EXECUTION=graphql-core` (read when the schema is built, `schema/core/build.py`) turns the compiled path off: the
operators' kill switch, and what the differential test compares against (tests/support/graphql.py).
"""

from __future__ import annotations

from typing import Any

from graphql import ExecutionResult, OperationType

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
        data = await Run(self).execute(plan, self.root_value)
        return self.build_response(data)  # type: ignore[return-value]

"""The project's validation rules, added once per process (schema/core/build.py, issue 15)."""

from __future__ import annotations

from strawberry.types import ExecutionContext

from resolvers.root import schema
from schema.core.build import PROJECT_RULES, ProjectValidationRules


def _rules_of_an_operation() -> tuple[type, ...]:
    execution = ExecutionContext(query="{ __typename }", schema=schema, allowed_operations=())
    extension = ProjectValidationRules()
    extension.execution_context = execution
    hook = extension.on_operation()
    next(hook)
    return execution.validation_rules


def test_strawberrys_rules_then_ours_in_one_tuple_for_every_operation() -> None:
    first, second = _rules_of_an_operation(), _rules_of_an_operation()

    default = ExecutionContext(query="", schema=schema, allowed_operations=()).validation_rules
    assert first == (*default, *PROJECT_RULES)
    assert second is first

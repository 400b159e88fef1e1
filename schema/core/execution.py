"""graphql-core's execution with a short way for plain fields: a scalar or enum read straight off its parent.

Most fields of a cabinet response are attributes of an already loaded row (`serial`, `zone`, `value`, `takenOn` …).
graphql-core resolves each of them through a path, a `GraphQLResolveInfo`, an argument check, the resolver call, an
awaitable check and the completion dispatch; for exactly those fields (no arguments, a plain getter from
`schema/core/fast_fields.py`, a scalar or enum type, no middleware) this context reads the attribute and coerces it
with the type's own `coerce_output_value`. Whenever that is not a clean value (null for a non-null field, an error,
something awaitable, a value the type refuses) the field goes the ordinary way, so results and errors are exactly
graphql-core's; everything else always goes the ordinary way. The plan of a (type, field) pair is found once per
process.

Tests: every distinct query the suite sends runs through both contexts and must answer the same
(tests/support/graphql.py; `LK_COMPARE_EXECUTION=0` turns it off, `=all` compares every repetition too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLNonNull, GraphQLObjectType, is_leaf_type
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

Plan = tuple[Callable[[Any], Any], Callable[[Any], Any], bool] | None  # (getter, coerce, non-null)

_plans: dict[tuple[GraphQLObjectType, str], Plan] = {}


def _plan(parent_type: GraphQLObjectType, field_name: str) -> Plan:
    key = (parent_type, field_name)
    if key in _plans:
        return _plans[key]
    plan: Plan = None
    field = parent_type.fields.get(field_name)
    getter = getattr(field.resolve, "plain_getter", None) if field is not None else None
    if field is not None and getter is not None and not field.args:
        field_type = field.type
        non_null = isinstance(field_type, GraphQLNonNull)
        leaf = field_type.of_type if non_null else field_type
        if is_leaf_type(leaf):
            plan = (getter, leaf.coerce_output_value, non_null)
    _plans[key] = plan
    return plan


# The attributes graphql-core's executor (`Executor`, `IncrementalExecutor`) and strawberry's context set in `__init__`,
# held in slots (issue 15: memory per socket). They are more than CPython shares keys for (30), so each context had
# a dictionary of its own, about 1.6 KB, and a subscription keeps its context for its whole life; in slots they take
# 8 bytes each, and no dictionary is made. An attribute not listed (a newer graphql-core's) lands in an instance
# dictionary as before. `is_awaitable` and `is_async_iterable` are also declared on graphql-core's class, as defaults
# that `__init__` always replaces on the instance; nothing reads them from the class.
EXECUTOR_SLOTS = (
    "_deferred_execution_plans",
    "_initial_execution_plans",
    "_relevant_sub_fields",
    "_stream_usages",
    "abort_signal",
    "async_helpers",
    "async_work_finished_hook_task",
    "background_futures",
    "collected_errors",
    "context_value",
    "defer_usage_set",
    "enable_early_execution",
    "error_propagation",
    "field_resolver",
    "fragment_definitions",
    "fragments",
    "groups",
    "hide_suggestions",
    "hooks",
    "is_async_iterable",
    "is_awaitable",
    "middleware_manager",
    "operation",
    "operation_extensions",
    "pending_incremental_futures",
    "root_value",
    "schema",
    "streams",
    "subscribe_field_resolver",
    "tasks",
    "type_resolver",
    "variable_values",
)


class PlainFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    __slots__ = EXECUTOR_SLOTS

    def __copy__(self) -> PlainFieldsExecutionContext:
        """graphql-core's sub-executors and per-event executors are shallow copies (`copy(self)`)."""
        cls = type(self)
        copied = cls.__new__(cls)
        for name in EXECUTOR_SLOTS:
            try:
                setattr(copied, name, getattr(self, name))
            except AttributeError:  # never set on this one
                continue
        copied.__dict__.update(self.__dict__)
        return copied

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:  # a resolve-hook extension must see every field
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        plain: dict[str, Any] = {}
        others = {}
        for response_name, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            plan = None if node.arguments else _plan(parent_type, node.name.value)
            if plan is not None:
                value = _plain_value(plan, source_value)
                if value is not Undefined:
                    plain[response_name] = value
                    continue
            others[response_name] = field_details_list
        if not others:
            return _in_order(grouped_field_set, plain, {})
        rest = super().execute_fields(parent_type, source_value, path, others, position_context)
        if self.is_awaitable(rest):

            async def merged() -> dict[str, Any]:
                return _in_order(grouped_field_set, plain, await rest)

            return merged()
        return _in_order(grouped_field_set, plain, rest)  # type: ignore[arg-type]


def _plain_value(plan: tuple[Callable[[Any], Any], Callable[[Any], Any], bool], source: Any) -> Any:
    """The coerced value of a plain field, or Undefined when it must go graphql-core's way (its error, its await)."""
    getter, coerce, non_null = plan
    try:
        value = getter(source)
        if value is None:
            return Undefined if non_null else None
        if isinstance(value, Exception) or hasattr(value, "__await__"):
            return Undefined
        coerced = coerce(value)
    except Exception:  # noqa: BLE001 - graphql-core resolves it again and reports the error its own way
        return Undefined
    return Undefined if coerced is None or coerced is Undefined else coerced


def _in_order(grouped_field_set: Any, plain: dict[str, Any], rest: dict[str, Any]) -> dict[str, Any]:
    """The response's keys in the order of the selection, as graphql-core builds them."""
    if not plain:
        return rest
    if not rest:
        return plain
    return {
        name: plain[name] if name in plain else rest[name]
        for name in grouped_field_set
        if name in plain or name in rest
    }

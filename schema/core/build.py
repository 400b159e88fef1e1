"""How a schema is built from its root types: the scalars, the validation rules, the caches and the fast field path.

The root types themselves are listed where the resolvers are known (`resolvers/root.py`): `schema/` never imports
`resolvers/`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import strawberry
from graphql import ASTValidationRule
from strawberry import relay
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, SchemaExtension
from strawberry.extensions.query_depth_limiter import create_validator
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from schema.core.analyst_masking import mask_strings_for_analysts
from schema.core.budget import CostBudget
from schema.core.compiled.executor import CompiledExecutionContext
from schema.core.cost import QueryCostRule
from schema.core.execution import PlainFieldsExecutionContext
from schema.core.extension_runner import PlannedExtensionsRunner
from schema.core.fast_fields import read_basic_fields_directly
from schema.core.guards import RequestGuards
from schema.core.http_errors import MAX_BATCH_OPERATIONS
from schema.core.masking import mask_internal_errors
from schema.core.scalars import SCALAR_MAP
from schema.core.validation_cache import DocumentValidationCache

DEPTH_RULE = create_validator(12, None, None)
PROJECT_RULES: list[type[ASTValidationRule]] = [DEPTH_RULE, QueryCostRule]

# strawberry's rules followed by ours, made once per tuple strawberry starts from (always the same one): an operation
# holds its rules for its whole life, a subscription as long as its socket (issue 15: memory per socket).
_WITH_PROJECT_RULES: dict[tuple[type[ASTValidationRule], ...], tuple[type[ASTValidationRule], ...]] = {}


class ProjectValidationRules(AddValidationRules):
    """`AddValidationRules(PROJECT_RULES)`, adding the same rules in the same order, with one list and one combined
    tuple for the process instead of a new pair per operation."""

    def __init__(self) -> None:
        super().__init__(PROJECT_RULES)

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        rules = execution.validation_rules
        combined = _WITH_PROJECT_RULES.get(rules)
        if combined is None:
            if len(_WITH_PROJECT_RULES) >= 8:  # never in practice; bounded all the same
                _WITH_PROJECT_RULES.clear()
            combined = _WITH_PROJECT_RULES[rules] = rules + tuple(self.validation_rules)
        execution.validation_rules = combined
        yield


def execution_context_class() -> type[PlainFieldsExecutionContext]:
    """Queries through their compiled plan (schema/core/compiled/), unless `LK_EXECUTION=graphql-core`: the kill
    switch, which leaves graphql-core with the plain-field short way."""
    return PlainFieldsExecutionContext if os.environ.get("LK_EXECUTION") == "graphql-core" else CompiledExecutionContext


class Schema(strawberry.Schema):
    """strawberry's schema, its extension hooks planned once per class (schema/core/extension_runner.py)."""

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return PlannedExtensionsRunner(execution_context=execution_context, extensions=extensions)


@strawberry.type
class NodeQuery:
    node: relay.Node | None = relay.node(
        description="Any object by its global id; another customer's object answers exactly like a missing one."
    )


def build_schema(
    *,
    queries: Sequence[type],
    mutations: Sequence[type],
    subscriptions: Sequence[type],
    node_types: Sequence[type],
) -> strawberry.Schema:
    """The schema of these root types (`node(id)` is added to the queries); `node_types` are every Node type, so that
    `node(id)` can answer for types no root field reaches directly."""
    schema = Schema(
        query=merge_types("Query", (NodeQuery, *queries)),
        mutation=merge_types("Mutation", tuple(mutations)) if mutations else None,
        subscription=merge_types("Subscription", tuple(subscriptions)) if subscriptions else None,
        types=tuple(node_types),
        # Apollo's batch link: a JSON array of operations, each run as a request of its own (schema/core/view.py).
        config=StrawberryConfig(scalar_map=SCALAR_MAP, batching_config={"max_operations": MAX_BATCH_OPERATIONS}),
        execution_context_class=execution_context_class(),
        extensions=[
            # Bounded caches: a flood of distinct documents cannot grow memory without limit.
            # (The LRU caches live at module level, shared by the per-request extension instances.)
            lambda: ParserCache(maxsize=512),
            DocumentValidationCache,  # by the parsed document's identity (schema/core/validation_cache.py)
            RequestGuards,  # after the validation cache: its problems replace validation's answer
            # One rule class for the process: a new class per request would change the validation cache's key.
            ProjectValidationRules,
            lambda: MaxTokensLimiter(max_token_count=5000),
            CostBudget,  # after validation: charges what runs
            mask_internal_errors,
        ],
    )
    read_basic_fields_directly(schema)
    mask_strings_for_analysts(schema._schema)
    return schema

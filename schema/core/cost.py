"""A bound on how much one query can ask for: every connection's `first` multiplies what is under it.

Depth is bounded elsewhere; this catches the wide case, e.g. readings(first: 100) → meter → readings(first: 100) → …
which stays shallow yet asks for millions of nodes; columnar time series count as the values they may carry.
Validation runs once per document (it is cached), before the variables are known, so a `first` given by a variable
counts as the largest page.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from schema.core.pagination import MAX_PAGE

MAX_COST = 50_000
# Fields that return long columnar arrays count as the values they may carry (a year of hours, 400 days).
ARRAY_FIELDS = {"hourlyProfile": 24 * 366, "dailyRegisters": 400}


def _page(field: FieldNode) -> int:
    for argument in field.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(int(argument.value.value), 1)
            return MAX_PAGE
    return 1


def _cost(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode], seen: frozenset[str]
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            own = ARRAY_FIELDS.get(selection.name.value, 1)
            total += _page(selection) * (own + _cost(selection.selection_set, fragments, seen))
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                total += _cost(fragment.selection_set, fragments, seen | {selection.name.value})
    return total


class QueryCostRule(ValidationRule):
    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        context: ValidationContext = self.context
        fragments = {
            fragment.name.value: fragment
            for fragment in context.document.definitions
            if isinstance(fragment, FragmentDefinitionNode)
        }
        cost = _cost(node.selection_set, fragments, frozenset())
        if cost > MAX_COST:
            self.report_error(
                GraphQLError(
                    f"Запрос слишком велик: до {cost} объектов при пределе {MAX_COST}; уменьшите first или вложенность",
                    node,
                    extensions={"code": "QUERY_TOO_COMPLEX"},
                )
            )

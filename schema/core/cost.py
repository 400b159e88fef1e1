"""A bound on how much one query can ask for: every connection's `first` multiplies what is under it.

Depth is bounded elsewhere; this catches the wide case, e.g. readings(first: 100) → meter → readings(first: 100) → …
which stays shallow yet asks for millions of nodes; columnar time series count as the values they may carry.
Validation runs once per document (it is cached), before the variables are known, so a `first` given by a variable
counts as the largest page.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from schema.core.document_memo import DocumentMemo
from schema.core.pagination import MAX_PAGE

MAX_COST = 50_000
# Fields that return long columnar arrays count as the values they may carry (a year of hours, 400 days).
# A packed series serializes one value per channel, yet reads up to a year of hours: it counts as a year of days.
ARRAY_FIELDS = {"hourlyProfile": 24 * 366, "dailyRegisters": 400, "series": 366}
# A list without `first` (an account's meters, a statement's charges) adds this many items: it is not one. (Its
# subtree is counted once, not multiplied: short lists of large subtrees stay affordable.)
UNPAGED_LIST = 10
# A connection's edges are the page its `first` already counted.
PAGE_LISTS = frozenset({"edges", "nodes"})
# Fields that cost more than a read each: signed links (an HMAC and a file lookup), a PDF's link.
COSTLY_FIELDS = {"pdfUrl": 25, "url": 5, "contractAccessApplicationTemplateUrl": 5, "confirmationUrl": 5}
# Introspection is answered from memory but builds large lists: one `__schema` costs as much as a big page.
INTROSPECTION_COST = {"__schema": 2_000, "__type": 100}


def _page(field: FieldNode) -> int:
    for argument in field.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(int(argument.value.value), 1)
            return MAX_PAGE
    return 1


def _unpaged_list(field: FieldNode, field_type: GraphQLOutputType | None) -> bool:
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    has_first = any(argument.name.value == "first" for argument in field.arguments or ())
    return isinstance(field_type, GraphQLList) and not has_first and field.name.value not in PAGE_LISTS


def _named(field_type: GraphQLOutputType | None) -> GraphQLNamedType | None:
    while isinstance(field_type, GraphQLNonNull | GraphQLList):
        field_type = field_type.of_type
    return field_type


class _Walk:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments

    def cost(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None, seen: frozenset[str]
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name in INTROSPECTION_COST:
                    total += INTROSPECTION_COST[name]
                    continue
                field_type = None
                if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) and name in parent.fields:
                    field_type = parent.fields[name].type
                own = ARRAY_FIELDS.get(name, COSTLY_FIELDS.get(name, 1))
                below = self.cost(selection.selection_set, _named(field_type), seen)
                total += _page(selection) * (own + below)
                if _unpaged_list(selection, field_type):
                    total += UNPAGED_LIST  # its items, beyond the one its subtree was counted for
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition is not None else parent
                total += self.cost(selection.selection_set, inner, seen)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.cost(fragment.selection_set, inner, seen | {selection.name.value})
        return total


def operation_cost(schema: GraphQLSchema, document: DocumentNode) -> int:
    """The cost of the document's first operation (for tests and benchmarks)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return _Walk(schema, fragments).cost(
        operation.selection_set, schema.get_root_type(operation.operation), frozenset()
    )


_COSTS: DocumentMemo[int] = DocumentMemo()


def selected_operation_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> int:
    """The cost of the operation a request runs (the named one, else the only one): what its budget is charged.
    Computed once per document and operation (it depends on neither the variables nor the viewer)."""
    return _COSTS.get((schema, document), operation_name, lambda: _selected_cost(schema, document, operation_name))


def _selected_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> int:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next((d for d in operations if d.name is not None and d.name.value == operation_name), operations[0])
    return _Walk(schema, fragments).cost(chosen.selection_set, schema.get_root_type(chosen.operation), frozenset())


class QueryCostRule(ValidationRule):
    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        context: ValidationContext = self.context
        fragments = {
            fragment.name.value: fragment
            for fragment in context.document.definitions
            if isinstance(fragment, FragmentDefinitionNode)
        }
        schema = context.schema
        root = schema.get_root_type(node.operation)
        cost = _Walk(schema, fragments).cost(node.selection_set, root, frozenset())
        if cost > MAX_COST:
            self.report_error(
                GraphQLError(
                    f"Запрос слишком велик: до {cost} объектов при пределе {MAX_COST}; уменьшите first или вложенность",
                    node,
                    extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost},
                )
            )

"""A query's plan: built once per operation (and values of its `@skip`/`@include` variables, and whether the viewer's
strings are masked: schema/core/analyst_masking.py), cached, bounded.

Fields are collected by graphql-core's own `collect_fields` / `collect_subfields`, so fragments, inline fragments,
aliases, merging and the directives are exactly graphql-core's. Whatever the plan cannot run exactly like graphql-core
makes the whole operation go graphql-core's way (`plan_for` answers None): introspection, abstract types, fragment
variables, `@defer`/`@stream`, an `is_type_of` that is not strawberry's own.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from graphql import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeNameMetaFieldDef,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
    visit,
)
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.language import Visitor
from strawberry.schema.schema_converter import CustomGraphQLEnumType
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from loaders.sql_trees import SqlTrees
from schema.core.analyst_masking import masks_strings, unmasked_resolver
from schema.core.compiled.direct import DirectResolver, direct_resolver
from schema.core.compiled.generated import ObjectFunction, object_function
from schema.core.compiled.sql_tree import SqlTree, subtree_of

LEAF, OBJECT, LIST = 0, 1, 2
PLANS_KEPT = 512  # operations, like strawberry's validation cache
VARIANTS_KEPT = 16  # plans of one operation (values of its @skip/@include variables, masked or not)
_ACCEPTED_KEPT = 64  # classes per object plan whose instances is_type_of accepted
_DYNAMIC: Any = object()  # arguments coerced per request (they use variables, or their coercion fails)


class Unsupported(Exception):
    """The operation goes graphql-core's way."""


class ValuePlan:
    """What completes a value at one position: a field's, or a list item's."""

    __slots__ = (
        "coerce",
        "enum_names",
        "field",
        "item",
        "kind",
        "nodes",
        "non_null",
        "null_message",
        "object",
        "type",
    )

    def __init__(self, graphql_type: GraphQLOutputType, nodes: list[FieldNode], field: str) -> None:
        self.non_null = isinstance(graphql_type, GraphQLNonNull)
        nullable = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
        self.type: Any = nullable
        self.nodes = nodes  # the field's nodes: errors are located at them (list items' too)
        self.field = field  # "Type.field", as graphql-core's messages name it
        self.null_message = f"Cannot return null for non-nullable field {field}."
        self.coerce: Callable[[Any], Any] | None = None
        self.object: ObjectPlan | None = None
        self.item: ValuePlan | None = None
        self.enum_names: tuple[dict[Any, str], type] | None = None
        if isinstance(nullable, GraphQLList):
            self.kind = LIST
            self.item = ValuePlan(nullable.of_type, nodes, field)
        elif is_leaf_type(nullable):
            self.kind = LEAF
            self.enum_names = _enum_names(nullable)
            names = self.enum_names
            self.coerce = nullable.coerce_output_value if names is None else _enum_coerce(nullable, names[0])
        elif is_abstract_type(nullable):
            raise Unsupported("abstract type")
        else:
            self.kind = OBJECT


def _enum_names(enum_type: Any) -> tuple[dict[Any, str], type] | None:
    """A strawberry enum's output names by member: the name of the first value equal to the member's (what its
    `coerce_output_value` finds by a scan), and the enum class; None for other enums."""
    if not isinstance(enum_type, CustomGraphQLEnumType):
        return None
    names: dict[Any, str] = {}
    member: Any
    for member in enum_type.wrapped_cls:
        name = next((name for name, value in enum_type.values.items() if member.value == value.value), None)
        if name is not None:
            names[member] = name
    return names, enum_type.wrapped_cls


def _enum_coerce(enum_type: Any, names: dict[Any, str]) -> Callable[[Any], Any]:
    """strawberry's enum output by a dict; anything else goes to its `coerce_output_value`."""
    slow = enum_type.coerce_output_value
    wrapped_cls = enum_type.wrapped_cls

    def coerce(value: Any) -> Any:
        name = names.get(value) if value.__class__ is wrapped_cls else None
        return slow(value) if name is None else name

    return coerce


class FieldPlan:
    __slots__ = (
        "arguments",
        "attribute",
        "direct",
        "field_def",
        "getter",
        "name",
        "nodes",
        "parent_type",
        "prefetched",
        "resolve",
        "response_name",
        "sql",
        "typename",
        "value",
    )

    def __init__(
        self,
        response_name: str,
        parent_type: GraphQLObjectType,
        details: list[FieldDetails],
        *,
        masked: bool,
        schema: GraphQLSchema,
    ) -> None:
        node = details[0].node
        name = node.name.value
        self.response_name = response_name
        self.name = name
        self.parent_type = parent_type
        self.nodes = [detail.node for detail in details]
        self.typename: str | None = parent_type.name if name == "__typename" else None
        field_def = TypeNameMetaFieldDef if name == "__typename" else parent_type.fields.get(name)
        if field_def is None:
            raise Unsupported(f"unknown field {name}")  # validated documents have none
        self.field_def: GraphQLField = field_def
        self.value = ValuePlan(field_def.type, self.nodes, f"{parent_type}.{name}")
        # Strings are masked for analysts only: anyone else's plan binds what the mask wraps.
        self.resolve: Callable[..., Any] | None = field_def.resolve if masked else unmasked_resolver(field_def.resolve)
        has_arguments = bool(field_def.args or node.arguments)
        getter = getattr(self.resolve, "plain_getter", None)  # schema/core/fast_fields.py
        self.getter: Callable[[Any], Any] | None = None if has_arguments else getter
        # The resolver's own function, when strawberry's wrapper has nothing to do for it (direct.py).
        self.direct: DirectResolver | None = None if self.getter else direct_resolver(schema, field_def, self.resolve)
        # How to read its value off the source when a parent prefetched it (prefetched.py).
        self.prefetched: Callable[[Any], Any] | None = self.direct.prefetched if self.direct is not None else None
        # The attribute the getter reads, when it is one (schema/core/fast_fields.py): read inline (generated.py).
        self.attribute: str | None = getattr(self.resolve, "plain_attribute", None) if self.getter else None
        self.arguments: Any = (
            {} if not has_arguments else _DYNAMIC if _uses_variables(node) else _literal(field_def, node)
        )
        self.sql: SqlTree | None = None  # the subtree as one statement building its JSON (sql_tree.py)


def _uses_variables(node: FieldNode) -> bool:
    found = False

    class _Variables(Visitor):
        def enter_variable(self, *_: Any) -> None:
            nonlocal found
            found = True

    for argument in node.arguments or ():
        visit(argument, _Variables())
    return found


def _literal(field_def: GraphQLField, node: FieldNode) -> Any:
    try:
        return get_argument_values(field_def, node)
    except Exception:  # noqa: BLE001 - coerced per request again: the error is the field's, where graphql-core puts it
        return _DYNAMIC


class ObjectPlan:
    __slots__ = ("accepted", "execute", "fields", "is_type_of", "name", "type")

    def __init__(self, object_type: GraphQLObjectType, fields: list[FieldPlan]) -> None:
        self.type = object_type
        self.name = object_type.name
        self.fields = tuple(fields)
        is_type_of = object_type.is_type_of
        if is_type_of is not None and not _strawberrys_own(is_type_of):
            raise Unsupported("is_type_of that may read its info")
        self.is_type_of: Callable[[Any, Any], Any] | None = is_type_of
        # Classes whose instances strawberry's `is_type_of` accepted when not `strawberry.cast`: its answer for such an
        # instance is an isinstance test of the class (or of its strawberry definition), the same for every instance.
        self.accepted: set[type] = set()
        self.execute: ObjectFunction = object_function(self)

    def accepts(self, value: Any) -> bool:
        """`is_type_of(value)`, asked once per class of values that are not cast."""
        cls = value.__class__
        uncast = getattr(value, TYPE_CAST_ATTRIBUTE, None) is None
        if uncast and cls in self.accepted:
            return True
        assert self.is_type_of is not None
        accepted = bool(self.is_type_of(value, None))
        if accepted and uncast and len(self.accepted) < _ACCEPTED_KEPT:
            self.accepted.add(cls)
        return accepted


def _strawberrys_own(is_type_of: Callable[..., Any]) -> bool:
    """strawberry's generated check (an isinstance test that ignores its info)."""
    return getattr(is_type_of, "__module__", "") == "strawberry.schema.schema_converter"


class _Builder:
    def __init__(self, executor: Any, *, masked: bool) -> None:
        self.masked = masked
        self.schema = executor.schema
        self.fragments = executor.fragments
        self.variables = executor.variable_values
        self.operation = executor.operation
        self.hide_suggestions = executor.hide_suggestions

    def root(self) -> ObjectPlan:
        root_type = self.schema.query_type
        grouped, defer_usages, _ = collect_fields(
            self.schema, self.fragments, self.variables, root_type, self.operation, self.hide_suggestions
        )
        if defer_usages:
            raise Unsupported("@defer")
        return self.object_plan(root_type, grouped)

    def object_plan(self, object_type: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]) -> ObjectPlan:
        fields = []
        for response_name, details in grouped.items():
            if any(detail.fragment_variable_values is not None for detail in details):
                raise Unsupported("fragment variables")
            if details[0].node.name.value in ("__schema", "__type"):
                raise Unsupported("introspection")
            field = FieldPlan(response_name, object_type, details, masked=self.masked, schema=self.schema)
            self.sub_plans(field.value, details)  # also when answered in SQL: a failed statement resolves it
            if not self.masked and field.value.kind != LEAF and field.typename is None:
                field.sql = subtree_of(self, object_type, field.name, field.field_def.type, details)
            fields.append(field)
        return ObjectPlan(object_type, fields)

    def sub_plans(self, value: ValuePlan, details: list[FieldDetails]) -> None:
        while value.kind == LIST:
            assert value.item is not None
            value = value.item
        if value.kind == OBJECT:
            grouped, defer_usages, _ = collect_subfields(
                self.schema, self.fragments, self.variables, self.operation, value.type, details, self.hide_suggestions
            )
            if defer_usages:
                raise Unsupported("@defer")
            value.object = self.object_plan(value.type, grouped)
            trees = {field.name: field.sql for field in value.object.fields if field.sql is not None}
            if trees:
                _remember_answered_in_sql(details[0].node, self.masked, trees)


def _directive_variables(operation: OperationDefinitionNode, fragments: dict[str, Any]) -> tuple[str, ...]:
    """The variables the operation's `@skip`/`@include` read: a plan is built per combination of their values."""
    names: list[str] = []

    class _Directives(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            if node.name.value in ("skip", "include"):
                for argument in node.arguments or ():
                    _variables_of(argument, names)

    visit(operation, _Directives())
    for details in fragments.values():
        visit(details.definition, _Directives())
    return tuple(dict.fromkeys(names))


def _variables_of(argument: ArgumentNode, names: list[str]) -> None:
    if isinstance(argument.value, VariableNode):
        names.append(argument.value.name.value)


class _Entry:
    __slots__ = ("directive_variables", "operation", "plans", "schema")

    def __init__(self, schema: Any, operation: OperationDefinitionNode, directive_variables: tuple[str, ...]) -> None:
        self.schema = schema  # held: the ids of the key cannot be reused while the entry lives
        self.operation = operation
        self.directive_variables = directive_variables
        self.plans: dict[tuple[Any, ...], ObjectPlan | None] = {}


_entries: OrderedDict[tuple[int, int], _Entry] = OrderedDict()


def plan_for(executor: Any) -> ObjectPlan | None:
    """The plan of the executor's operation (a query), or None when it must go graphql-core's way."""
    operation = executor.operation
    key = (id(executor.schema), id(operation))
    entry = _entries.get(key)
    if entry is None or entry.operation is not operation or entry.schema is not executor.schema:
        entry = _Entry(executor.schema, operation, _directive_variables(operation, executor.fragments))
        _entries[key] = entry
        if len(_entries) > PLANS_KEPT:
            _entries.popitem(last=False)
    else:
        _entries.move_to_end(key)
    coerced = executor.variable_values.coerced
    masked = masks_strings(executor.context_value)
    variant = (masked, *(coerced.get(name) for name in entry.directive_variables))
    if variant in entry.plans:
        return entry.plans[variant]
    try:
        plan: ObjectPlan | None = _Builder(executor, masked=masked).root()
    except (Unsupported, RecursionError):
        plan = None
    if len(entry.plans) < VARIANTS_KEPT:
        entry.plans[variant] = plan
    return plan


# (a field's node, masked) → its subfields answered in SQL, by name: a resolver that knows such a subfield's parent
# key before its own row loads it ahead in its own round trip (`load_ahead_in_sql`). Only a hint: a stale or missing
# entry costs a round trip, never an answer.
_answered_in_sql: dict[tuple[int, bool], tuple[FieldNode, dict[str, SqlTree]]] = {}
_ANSWERED_KEPT = 4096


def _remember_answered_in_sql(node: FieldNode, masked: bool, trees: dict[str, SqlTree]) -> None:
    if len(_answered_in_sql) >= _ANSWERED_KEPT:
        _answered_in_sql.clear()
    _answered_in_sql[id(node), masked] = (node, trees)  # the node held: its id is not reused while it is here


def load_ahead_in_sql(info: Any, name: str, parent: int) -> bool:
    """Start the statement answering the subfield `name` of the field being resolved, for the parent whose key is
    `parent`, when that subfield is answered in SQL: True when started (a load ahead of its rows would be wasted)."""
    raw = getattr(info, "_raw_info", info)
    node = raw.field_nodes[0]
    entry = _answered_in_sql.get((id(node), masks_strings(raw.context)))
    tree = entry[1].get(name) if entry is not None and entry[0] is node else None
    if tree is None or tree.producers:  # one reading the request's arguments waits for its turn
        return False
    raw.context.loaders.get(SqlTrees).prefetch([(tree, parent)])
    return True


def arguments_of(field: FieldPlan, executor: Any) -> dict[str, Any]:
    """The field's coerced arguments: bound at plan time when literal, else from this request's variables."""
    arguments = field.arguments
    if arguments is _DYNAMIC:
        return get_argument_values(
            field.field_def, field.nodes[0], executor.variable_values, None, executor.hide_suggestions
        )
    return arguments  # type: ignore[no-any-return]

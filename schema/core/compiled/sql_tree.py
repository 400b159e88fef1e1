"""Subtrees of a query answered by PostgreSQL as JSON: one statement for a whole subtree, however deep (issue 15).

A type declares how its fields read from its table (`declare`): a leaf is a column, or an SQL expression; a relation
is the rows of another table under this one (`many`, `one`, or a connection's first page, `page`). When every field a
query selects under a relation is declared, the plan answers that relation with one statement built at plan time,
batched over the parents of one turn like any loader (loaders/sql_trees.py):

    SELECT p.id, (json_build_object('number', t1.number, 'meters', coalesce((SELECT json_agg(…) …), '[]')))::text
    FROM personal_account p WHERE p.id = ANY($1::bigint[])

Answers are exactly graphql-core's (the differential test runs the suite's queries both ways):
- each leaf is serialized in SQL as the field's GraphQL type serializes the column's Python value (enum names from
  the GraphQL enum's own `serialize` at plan time, `Decimal` as its text, `DateTime` as `isoformat()`, global ids as
  strawberry's base64 of "Type:id"); a pairing of column and type not listed here is not compiled;
- a non-null field never reads a nullable column, nor a relation that may find no row;
- a value the GraphQL type cannot answer (an `Int` out of range from a `bigint` column, a stored enum value the enum
  does not know) becomes a mark in the JSON text (an escape PostgreSQL also writes for a control character in a
  string, so a string may raise it too): that parent's field is then resolved the ordinary way, which answers
  graphql-core's error (or, for the string, the same answer, more slowly); so is a field whose statement PostgreSQL
  refuses (loaders/sql_trees.py);
- a connection declared with its `Paged` arguments reads them from the request (literals or variables) as its
  resolver does, into parameters of the statement; its page info is made in SQL, and its cursors' payloads, marked:
  they are signed here as `encode_cursor` signs them (the key never goes to PostgreSQL, nor to its logs). Arguments
  the resolver would refuse, and a page `after` a cursor, leave the field to its resolver, which answers them;
- anything else (an undeclared field, arguments of a field that is not a declared connection, an analyst's masked
  strings) leaves the field to its resolver.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import sqlalchemy as sa
from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
)
from graphql.execution.collect_fields import FieldDetails, collect_subfields
from graphql.execution.values import get_argument_values
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from loaders.pages import PageArgs
from loaders.sql_trees import UNANSWERABLE
from schema.core.compiled.direct import arguments_converter
from schema.core.pagination import sign_payload

_MAX_PAIRS = 50  # json_build_object takes at most 100 arguments
# datetime.isoformat() (and orjson's text) of asyncpg's UTC value of a timestamptz: microseconds only when there are any
ISO_INSTANT = (
    "to_char({value} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
    "CASE WHEN date_part('microseconds', {value})::bigint % 1000000 = 0 THEN '' "
    "ELSE to_char({value} AT TIME ZONE 'UTC', '.US') END || '+00:00'"
)


class NotCompiled(Exception):
    """The field keeps its resolver."""


@dataclass(frozen=True, slots=True)
class Leaf:
    """A leaf: `column` of the type's table (serialized by its type), or an SQL expression (`{t}`: the object's row)
    already of the GraphQL type's JSON form, with whether it can be null."""

    column: str | None = None
    sql: str | None = None
    nullable: bool = True
    global_id: bool = False


def keyset_cursor(key: str, *, instant: bool = False) -> str:
    """SQL of orjson's text of `(key, id)` (`{t}` the row): a page's cursor payload when it is sorted by a date, or
    by an instant, then by id."""
    text = ISO_INSTANT.format(value=key) if instant else f"to_char({key}, 'YYYY-MM-DD')"
    return f"'[\"' || {text} || '\",' || {{t}}.id || ']'"


@dataclass(frozen=True, slots=True)
class Paged:
    """A connection's arguments and cursors, as its resolver reads them.

    `args`: the resolver's own `PageArgs` from its keyword arguments as strawberry converts them (what it raises, the
    resolver raises: the field is then resolved); `cursor`: SQL of the cursor's payload, the text
    `orjson.dumps(cursor_of(row))` (`{t}` the row); `months`: the column the month filter reads, `between` the months'
    first days or in the local-time `range` of their instants, and its SQL type."""

    args: Callable[..., PageArgs]
    cursor: str
    months: tuple[str, Literal["between", "range"], str] | None = None


@dataclass(frozen=True, slots=True)
class Relation:
    """Rows of another table under this object. `source`: `<from items> WHERE <condition>`, `{t}` the child's row and
    `{p}` the parent's (a subtree's root reads its parents' rows from their table, or only their ids, `p(id)`, for a
    type declared without one); `order`: the list's order."""

    kind: Literal["many", "one", "page"]
    source: str
    order: str = ""
    always: bool = False  # `one`: a row is always found (e.g. a LEFT JOIN from one row)
    # A subtree's root: the Python attribute of the parent object holding `{p}.id`, or None for the viewer's own
    # customer id (a root field such as `me`: no viewer, or no row found, and the resolver answers).
    parent_key: str | None = "row_id"
    paged: Paged | None = None  # `page`: its arguments, page info and cursors


@dataclass(frozen=True, slots=True)
class Shape:
    table: sa.Table | None
    fields: Mapping[str, Leaf | Relation]


_shapes: dict[type, Shape] = {}


def declare(cls: type, table: sa.Table | None, **fields: Leaf | Relation) -> None:
    """How the strawberry type `cls` reads from `table` (field names in Python spelling, as the type's own)."""
    _shapes[cls] = Shape(table, {_camel(name): value for name, value in fields.items()})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _origin_shape(object_type: GraphQLObjectType, field_name: str) -> Shape | None:
    """The shape of the class that defines the field: the root types are merged from the domains' own classes."""
    field_def = object_type.fields.get(field_name)
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF) if field_def else None
    origin = getattr(definition, "origin", None)
    return _shapes.get(origin) if origin is not None else None


def _shape_of(object_type: GraphQLObjectType) -> Shape | None:
    definition = (object_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    return _shapes.get(origin) if origin is not None else None


_Producer = Callable[[Any], Sequence[Any]]  # the execution context → values of the statement's next parameters


@dataclass(frozen=True, slots=True)
class SqlTree:
    """A relation's subtree as one statement: `$1` the parents' ids, then `params`; rows (parent, tree as JSON
    text). A tree whose statement reads the request's arguments has `producers`: `bound` gives its parameters."""

    sql: str
    parent_key: str | None  # None: the viewer's customer id, and a missing row is the resolver's to answer
    marked: bool  # whether its text may carry the mark of a value the GraphQL type cannot answer
    producers: tuple[_Producer, ...] = ()
    params: tuple[Any, ...] = ()
    signs: bool = False  # whether its text carries cursors' payloads to sign

    def bound(self, executor: Any) -> SqlTree:
        """The tree with this request's parameters; raises what the arguments' resolver would refuse."""
        params = tuple(value for produce in self.producers for value in produce(executor))
        return SqlTree(self.sql, self.parent_key, self.marked, self.producers, params, self.signs)

    def finish(self, text: str) -> str:
        """The statement's JSON text as the answer's: its cursors signed."""
        return _UNSIGNED.sub(_signed, text) if self.signs else text


class Compiler:
    """Compiles the subtree under one field of a plan (`collect` gathers a field's subfields as the plan does)."""

    def __init__(
        self,
        collect: Callable[[GraphQLObjectType, list[FieldDetails]], dict[str, list[FieldDetails]]],
        schema: GraphQLSchema | None = None,
    ):
        self.collect = collect
        self.schema = schema
        self.aliases = 0
        self.marked = False
        self.parameters = 1  # $1: the parents' ids
        self.producers: list[_Producer] = []
        self.signs = False

    def tree(
        self, parent_type: GraphQLObjectType, field_name: str, field_type: Any, details: list[FieldDetails]
    ) -> SqlTree | None:
        shape = _shape_of(parent_type) or _origin_shape(parent_type, field_name)
        if shape is None:
            return None
        relation = shape.fields.get(field_name)
        if not isinstance(relation, Relation):
            return None
        try:
            expression = self.relation(relation, parent_type.fields[field_name], field_type, details, "p")
        except NotCompiled:
            return None
        # The parents' rows, for relations that read more of them than their id (`{p}.utility_provider_id`)
        parents = (
            "unnest($1::bigint[]) AS p(id)"
            if shape.table is None
            else f"{shape.table.name} p WHERE p.id = ANY($1::bigint[])"
        )
        sql = f"SELECT p.id AS parent, ({expression})::text AS tree FROM {parents}"
        return SqlTree(sql, relation.parent_key, self.marked, tuple(self.producers), signs=self.signs)

    def _alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases}"

    def _parameter(self) -> int:
        self.parameters += 1
        return self.parameters

    def relation(
        self, relation: Relation, field_def: GraphQLField, field_type: Any, details: list[FieldDetails], parent: str
    ) -> str:
        if any(detail.node.arguments for detail in details) and relation.kind != "page":
            raise NotCompiled
        non_null = isinstance(field_type, GraphQLNonNull)
        nullable_type = field_type.of_type if non_null else field_type
        alias = self._alias()
        source = relation.source.format(t=alias, p=parent)
        order = relation.order.format(t=alias, p=parent)
        if relation.kind == "one":
            if non_null and not relation.always:
                raise NotCompiled
            if not isinstance(nullable_type, GraphQLObjectType):
                raise NotCompiled
            return f"SELECT {self.object(nullable_type, details, alias)} FROM {source}"
        if relation.kind == "many":
            item = _list_item(nullable_type)
            aggregate = f"json_agg({self.object(item, details, alias)}{f' ORDER BY {order}' if order else ''})"
            return f"coalesce((SELECT {aggregate} FROM {source}), '[]'::json)"
        if relation.paged is None:
            raise NotCompiled  # a connection is declared with its arguments
        return self.paged(relation.paged, field_def, nullable_type, details, alias, source, order)

    def paged(  # noqa: PLR0917 - the page's parts, passed down once
        self,
        paged: Paged,
        field_def: GraphQLField,
        connection: Any,
        details: list[FieldDetails],
        alias: str,
        source: str,
        order: str,
    ) -> str:
        """A connection's page with its arguments, page info and cursors (the resolver's `make_connection`)."""
        if not isinstance(connection, GraphQLObjectType):
            raise NotCompiled
        first = f"${self._parameter()}::int"
        bounds = (self._parameter(), self._parameter()) if paged.months is not None else None
        self.producers.append(self._arguments(paged, field_def, details[0]))
        rank = f"{alias}.{alias}_rank"
        within = f"FILTER (WHERE {rank} <= {first})"
        payload = paged.cursor.format(t=alias)
        pairs = []
        for response_name, subfields in self.collect(connection, details).items():
            name = subfields[0].node.name.value
            if name == "__typename":
                pairs.append(f"'{response_name}', '{connection.name}'")
            elif name == "edges":
                edge_type = _list_item(_nullable(connection.fields[name].type))
                edge = self.edge(edge_type, subfields, alias, payload)
                pairs.append(f"'{response_name}', coalesce(json_agg({edge} ORDER BY {rank}) {within}, '[]'::json)")
            elif name == "pageInfo":
                info_type = _nullable(connection.fields[name].type)
                pairs.append(f"'{response_name}', {self.page_info(info_type, subfields, first, rank, within, payload)}")
            else:
                raise NotCompiled
        condition = ""
        if paged.months is not None and bounds is not None:
            column, kind, sql_type = paged.months
            column = column.format(t=alias)
            low, high = (f"${bound}::{sql_type}" for bound in bounds)
            test = (
                f"{column} BETWEEN {low} AND {high}"
                if kind == "between"
                else f"{column} >= {low} AND {column} < {high}"
            )
            condition = f" AND ({low} IS NULL OR ({test}))"
        # first + 1 rows: the extra one only says that there is a next page
        rows = (
            f"(SELECT {alias}.*, row_number() OVER (ORDER BY {order}) AS {alias}_rank FROM {source}{condition} "
            f"ORDER BY {order} LIMIT {first} + 1) AS {alias}"
        )
        return f"SELECT {_object(pairs)} FROM {rows}"

    def _arguments(self, paged: Paged, field_def: GraphQLField, detail: FieldDetails) -> _Producer:
        """The page's parameters from the request: `first`, then the months' bounds (None, None for all)."""
        definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if self.schema is None or not isinstance(definition, StrawberryField):
            raise NotCompiled
        convert = arguments_converter(self.schema, definition.arguments)
        if convert is None:
            raise NotCompiled
        node = detail.node
        months = paged.months

        def produce(executor: Any) -> list[Any]:
            coerced = get_argument_values(field_def, node, executor.variable_values, None, executor.hide_suggestions)
            args = paged.args(**convert(coerced))  # the resolver's own checks: what it refuses, it answers
            if args.after is not None or args.meter_id is not None:
                raise NotCompiled  # a later page: the resolver's statement
            values: list[Any] = [args.first]
            if months is not None:
                if args.months is None:
                    values.extend((None, None))
                elif months[1] == "between":
                    values.extend((args.months.first, args.months.last))
                else:
                    values.extend((args.months.starts_at, args.months.ends_before))
            return values

        return produce

    def edge(self, edge_type: GraphQLObjectType, details: list[FieldDetails], alias: str, payload: str) -> str:
        pairs = []
        for response_name, subfields in self.collect(edge_type, details).items():
            name = subfields[0].node.name.value
            if name == "__typename":
                pairs.append(f"'{response_name}', '{edge_type.name}'")
            elif name == "node":
                node_type = _nullable(edge_type.fields[name].type)
                pairs.append(f"'{response_name}', {self.object(node_type, subfields, alias)}")
            elif name == "cursor":
                pairs.append(f"'{response_name}', {self.cursor(payload)}")
            else:
                raise NotCompiled
        return _object(pairs)

    def page_info(  # noqa: PLR0917 - the page's parts, passed down once
        self, info_type: Any, details: list[FieldDetails], first: str, rank: str, within: str, payload: str
    ) -> str:
        if not isinstance(info_type, GraphQLObjectType):
            raise NotCompiled
        pairs = []
        for response_name, subfields in self.collect(info_type, details).items():
            name = subfields[0].node.name.value
            if name == "__typename":
                pairs.append(f"'{response_name}', '{info_type.name}'")
            elif name == "hasNextPage":
                pairs.append(f"'{response_name}', count(*) > {first}")
            elif name == "hasPreviousPage":
                pairs.append(f"'{response_name}', false")  # the first page: a page `after` a cursor is not compiled
            elif name in ("startCursor", "endCursor"):
                direction = "" if name == "startCursor" else " DESC"
                picked = f"(array_agg({payload} ORDER BY {rank}{direction}) {within})[1]"
                pairs.append(f"'{response_name}', {self.cursor(picked)}")
            else:
                raise NotCompiled
        return _object(pairs)

    def cursor(self, payload: str) -> str:
        """A cursor's payload text, marked: signed once the statement has answered (`SqlTree.finish`)."""
        self.signs = True
        return f"(chr(2) || '{_NONCE}' || {payload})"

    def object(self, object_type: Any, details: list[FieldDetails], alias: str) -> str:
        if not isinstance(object_type, GraphQLObjectType):
            raise NotCompiled
        shape = _shape_of(object_type)
        if shape is None:
            raise NotCompiled
        pairs = []
        for response_name, subfields in self.collect(object_type, details).items():
            name = subfields[0].node.name.value
            if name == "__typename":
                pairs.append(f"'{response_name}', '{object_type.name}'")
                continue
            declared = shape.fields.get(name)
            field_def = object_type.fields.get(name)
            if declared is None or field_def is None:
                raise NotCompiled
            if isinstance(declared, Relation):
                expression = self.relation(declared, field_def, field_def.type, subfields, alias)
                pairs.append(f"'{response_name}', ({expression})")
            else:
                if any(detail.node.arguments for detail in subfields):
                    raise NotCompiled
                pairs.append(f"'{response_name}', {self.leaf(shape, declared, field_def.type, object_type, alias)}")
        return _object(pairs)

    def leaf(self, shape: Shape, leaf: Leaf, field_type: Any, object_type: GraphQLObjectType, alias: str) -> str:
        non_null = isinstance(field_type, GraphQLNonNull)
        graphql_type = field_type.of_type if non_null else field_type
        if leaf.global_id:
            if graphql_type is not GraphQLID:
                raise NotCompiled
            # strawberry's GlobalID: base64 of "Type:id". encode() breaks lines every 76 characters (57 bytes): a
            # bigint has at most 20 characters, so only a type name too long to fit beside one needs them taken out.
            prefix = f"{object_type.name}:"
            encoded = f"encode(convert_to('{prefix}' || {alias}.id::text, 'UTF8'), 'base64')"
            return encoded if len(prefix.encode()) + 20 <= 57 else f"translate({encoded}, E'\\n', '')"
        if leaf.sql is not None:
            if non_null and leaf.nullable:
                raise NotCompiled
            return f"({leaf.sql.format(t=alias)})"
        if shape.table is None or leaf.column is None:
            raise NotCompiled
        column = shape.table.c[leaf.column]
        if non_null and column.nullable:
            raise NotCompiled  # graphql-core's error for a null there
        return self.column(column, graphql_type, f"{alias}.{column.name}")

    @staticmethod
    def mark(value: str) -> str:
        """What a value the GraphQL type cannot answer becomes: null stays null, anything else is the mark."""
        return f"CASE WHEN {value} IS NULL THEN NULL::json ELSE {_MARK} END"

    def column(self, column: sa.Column[Any], graphql_type: Any, value: str) -> str:
        kind: Any = column.type
        while isinstance(kind, sa.TypeDecorator):  # SQLModel's AutoString is a String
            kind = kind.impl_instance
        if isinstance(graphql_type, GraphQLEnumType):
            enum_class = getattr(kind, "enum_class", None)
            if enum_class is None:
                raise NotCompiled
            cases = []
            for member in enum_class:
                try:
                    name = graphql_type.serialize(member)
                except Exception as error:
                    raise NotCompiled from error
                if not isinstance(name, str) or not isinstance(member.value, str):
                    raise NotCompiled
                cases.append(f"WHEN {_literal(member.value)} THEN {_literal(orjson.dumps(name).decode())}::json")
            # A stored value the enum does not know: the mark, and the resolver's error
            self.marked = True
            return f"CASE {value} {' '.join(cases)} ELSE {self.mark(value)} END"
        if graphql_type in (GraphQLString, GraphQLID) and isinstance(kind, sa.String):
            return value
        if graphql_type is GraphQLBoolean and isinstance(kind, sa.Boolean):
            return value
        if graphql_type is GraphQLInt and isinstance(kind, sa.Integer):
            if isinstance(kind, sa.BigInteger):
                # Out of Int's range: the mark, and the resolver's error
                self.marked = True
                within = f"{value} BETWEEN -2147483648 AND 2147483647"
                return f"CASE WHEN {within} THEN to_json({value}) ELSE {self.mark(value)} END"
            return value
        if getattr(graphql_type, "coerce_output_value", None) is int and isinstance(kind, sa.Integer):
            return value  # Kopecks, KilowattHours … (schema/core/scalars.py): `int`, any size
        scalar = getattr(graphql_type, "name", None)
        if scalar == "Date" and isinstance(kind, sa.Date) and not isinstance(kind, sa.DateTime):
            return value  # to_json(date): "YYYY-MM-DD", as date.isoformat()
        if scalar == "Decimal" and isinstance(kind, sa.Numeric):
            return f"{value}::text"  # str(Decimal) of what asyncpg decodes from the same text
        if scalar == "DateTime" and isinstance(kind, sa.DateTime) and kind.timezone:
            return ISO_INSTANT.format(value=value)
        raise NotCompiled


# A cursor's payload in a statement's JSON text: a string of U+0002, this process's nonce, then the payload (orjson's
# text of the sort key). The nonce is unknown to clients: a string of theirs is never taken for a cursor.
_NONCE = secrets.token_hex(8)
_UNSIGNED = re.compile(r'"\\u0002' + _NONCE + r'((?:[^"\\]|\\.)*)"')


def _signed(match: re.Match[str]) -> str:
    payload: str = orjson.loads('"' + match.group(1) + '"')  # the JSON string's own escapes undone
    return '"' + sign_payload(payload.encode()) + '"'


# An escape string (E'…'): the same text whatever `standard_conforming_strings` says
_MARK = f"E'\"{UNANSWERABLE.replace(chr(92), chr(92) * 2)}\"'::json"


def _nullable(graphql_type: Any) -> Any:
    return graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type


def _list_item(graphql_type: Any) -> Any:
    """The object type of a list whose items may not be null (`[T!]`); anything else is not compiled."""
    if not isinstance(graphql_type, GraphQLList) or not isinstance(graphql_type.of_type, GraphQLNonNull):
        raise NotCompiled
    return graphql_type.of_type.of_type


def _object(pairs: list[str]) -> str:
    if not pairs or len(pairs) > _MAX_PAIRS:
        raise NotCompiled
    return f"json_build_object({', '.join(pairs)})"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def subtree_of(
    builder: Any, parent_type: GraphQLObjectType, field_name: str, field_type: Any, details: list[FieldDetails]
) -> SqlTree | None:
    """The statement answering this field's subtree, or None (the plan's `_Builder`: its collection of subfields)."""

    def collect(object_type: GraphQLObjectType, field_details: list[FieldDetails]) -> dict[str, list[FieldDetails]]:
        grouped, defer_usages, _ = collect_subfields(
            builder.schema,
            builder.fragments,
            builder.variables,
            builder.operation,
            object_type,
            field_details,
            builder.hide_suggestions,
        )
        if defer_usages or any(
            detail.fragment_variable_values is not None for details in grouped.values() for detail in details
        ):
            raise NotCompiled
        return grouped

    return Compiler(collect, builder.schema).tree(parent_type, field_name, field_type, details)

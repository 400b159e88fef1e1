"""Plain attributes and global ids read by graphql-core directly.

Strawberry resolves a field with no resolver through three wrapper calls, and a node's `id` through its relay
machinery (a GlobalID object, then its serialisation); with thousands of such fields in a cabinet response that is
a fifth of the request. For exactly those fields (no resolver, permission or extension: the ones strawberry itself
marks as basic; and `id` of nodes whose `resolve_id` is ours and synchronous) a plain function does the same work.
"""

from __future__ import annotations

import binascii
from operator import attrgetter
from typing import Any

from graphql import GraphQLObjectType
from strawberry import Schema, relay
from strawberry.schema.schema_converter import GraphQLCoreConverter

from schema.core.nodes import RowNode


def _getter(python_name: str) -> Any:
    get = attrgetter(python_name)

    def resolve(source: Any, info: Any, **_: Any) -> Any:
        return get(source)

    resolve.plain_getter = get  # type: ignore[attr-defined]  # read without an info (schema/core/execution.py)
    resolve.plain_attribute = python_name  # type: ignore[attr-defined]  # read inline (schema/core/compiled/generated.py)
    return resolve


def _global_id(type_name: str, resolve_id: Any, *, reads_info: bool) -> Any:
    prefix = f"{type_name}:"

    def resolve(source: Any, info: Any, **_: Any) -> str:
        # The same encoding as strawberry's GlobalID: base64 of "TypeName:node id" (binascii's, without base64's
        # Python wrapper: thousands of ids in a cabinet).
        return binascii.b2a_base64((prefix + str(resolve_id(source, info=info))).encode(), newline=False).decode()

    if not reads_info:  # `RowNode`'s: the id is the row's key, read without an info (schema/core/execution.py)

        def plain(source: Any) -> str:
            return binascii.b2a_base64((prefix + str(source.row_id)).encode(), newline=False).decode()

        resolve.plain_getter = plain  # type: ignore[attr-defined]
    return resolve


def _encode_ids_directly(graphql_type: GraphQLObjectType) -> int:
    definition = (graphql_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    if not (isinstance(origin, type) and issubclass(origin, relay.Node)) or "id" not in graphql_type.fields:
        return 0
    # Only our own synchronous `resolve_id`s, with the default type name (the GraphQL type's own).
    if origin.resolve_id.__func__ is relay.Node.resolve_id.__func__:  # type: ignore[attr-defined]
        return 0
    if origin.resolve_typename.__func__ is not relay.Node.resolve_typename.__func__:  # type: ignore[attr-defined]
        return 0
    reads_info = origin.resolve_id.__func__ is not RowNode.resolve_id.__func__  # type: ignore[attr-defined]
    graphql_type.fields["id"].resolve = _global_id(graphql_type.name, origin.resolve_id, reads_info=reads_info)
    return 1


def read_basic_fields_directly(schema: Schema) -> int:
    """Swap strawberry's wrapper of every basic field for a plain getter; how many fields were swapped."""
    swapped = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        swapped += _encode_ids_directly(graphql_type)
        for field in graphql_type.fields.values():
            resolver = field.resolve
            if resolver is None or getattr(resolver, "__name__", "") != "_get_basic_result":
                continue
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if definition is None or definition.base_resolver is not None:
                continue
            field.resolve = _getter(definition.python_name)
            swapped += 1
    return swapped

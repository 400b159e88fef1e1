"""Plain attributes read by graphql-core directly.

Strawberry resolves a field with no resolver through three wrapper calls; with thousands of such fields in a cabinet
response that is a tenth of the request. For exactly those fields (no resolver, permission or extension: the ones
strawberry itself marks as basic) an attribute getter does the same work.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from graphql import GraphQLObjectType
from strawberry import Schema
from strawberry.schema.schema_converter import GraphQLCoreConverter


def _getter(python_name: str) -> Any:
    get = attrgetter(python_name)

    def resolve(source: Any, info: Any, **_: Any) -> Any:
        return get(source)

    return resolve


def read_basic_fields_directly(schema: Schema) -> int:
    """Swap strawberry's wrapper of every basic field for a plain getter; how many fields were swapped."""
    swapped = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
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

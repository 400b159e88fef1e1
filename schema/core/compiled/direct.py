"""A strawberry field's own function, called without strawberry's resolver wrapper.

For every field with a resolver strawberry wraps the function: an `Info` built, the arguments converted to Python
(`get_arguments`), the field extensions chained, the exception handlers looked up, then the function called. For a
field with none of these (no arguments, no extensions such as permission classes, no schema exception handlers,
strawberry's own `Info` class) all that is left is the call itself with its `self`/`root`/`parent` and `info`
parameters, which the plan binds once. Everything else keeps strawberry's wrapper.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLField, GraphQLSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

DirectResolver = Callable[[Any, Any], Any]  # (source, graphql-core's resolve info) → the resolver's result

_STRAWBERRYS_WRAPPERS = ("_resolver", "_async_resolver")


def _wraps_plainly(schema: GraphQLSchema, resolve: Any) -> bool:
    """Whether `resolve` is strawberry's own wrapper, in a schema without exception handlers."""
    if getattr(resolve, "__module__", None) != "strawberry.schema.schema_converter":
        return False
    if getattr(resolve, "__name__", None) not in _STRAWBERRYS_WRAPPERS:
        return False
    converter = getattr(getattr(schema, "_strawberry_schema", None), "schema_converter", None)
    if converter is None or getattr(converter, "_exception_handler_specs", True):
        return False
    return converter.config.info_class is strawberry.Info


def direct_resolver(schema: GraphQLSchema, field_def: GraphQLField, resolve: Any) -> DirectResolver | None:
    """The field's function bound to be called as strawberry's wrapper would call it; None when the wrapper has
    work to do."""
    if field_def.args or not _wraps_plainly(schema, resolve):
        return None
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField):
        return None
    resolver = definition.base_resolver
    if resolver is None or definition.extensions or definition.arguments or not callable(resolver.wrapped_func):
        return None
    function = resolver.wrapped_func
    takes_self = resolver.self_parameter is not None
    sources = tuple(parameter.name for parameter in (resolver.parent_parameter, resolver.root_parameter) if parameter)
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None

    def call(source: Any, info: Any) -> Any:
        keywords = dict.fromkeys(sources, source)
        if info_name is not None:
            keywords[info_name] = strawberry.Info(_raw_info=info, _field=definition)
        return function(source, **keywords) if takes_self else function(**keywords)

    return call

"""A strawberry field's own function, called without strawberry's resolver wrapper.

For every field with a resolver strawberry wraps the function: an `Info` built, the arguments converted to Python
(`get_arguments`), the field extensions chained, the exception handlers looked up, then the function called. For a
field with none of these (no extensions such as permission classes, no schema exception handlers, strawberry's own
`Info` class) all that is left is the conversion of its arguments and the call itself with its `self`/`root`/`parent`
and `info` parameters, which the plan binds once.

Arguments are converted by strawberry's own `convert_arguments`, once per request and field (`Run.resolve`): every
parent of a field gets the same arguments (graphql-core coerces them from the same literals and variables), and an
account's four connections converted their `period` input once per account, through strawberry's generic conversion.
Only arguments whose types convert without the resolver's info do (scalars, enums, global ids, lists of them, input
types without a `from_input` of their own, made of those); a field with any other keeps strawberry's wrapper. The
converted values are shared by the field's calls of one request, never between requests: resolvers read their
arguments, they do not change them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLField, GraphQLSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import StrawberryArgument, convert_arguments
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType

from schema.core.compiled.prefetched import prefetched_reader

_STRAWBERRYS_WRAPPERS = ("_resolver", "_async_resolver")
_DEPTH = 4  # input types nested deeper keep strawberry's wrapper


class DirectResolver:
    """`call(source, info, converted arguments or None)`; `convert(coerced arguments)` for a field with arguments;
    `prefetched(source)`: the value read off the source, or NOT_PREFETCHED (prefetched.py), for a field marked so."""

    __slots__ = ("call", "convert", "prefetched")

    def __init__(
        self,
        call: Callable[[Any, Any, dict[str, Any] | None], Any],
        convert: Callable[[dict[str, Any]], dict[str, Any]] | None,
        prefetched: Callable[[Any], Any] | None = None,
    ) -> None:
        self.call = call
        self.convert = convert
        self.prefetched = prefetched


def _converter(schema: GraphQLSchema) -> Any:
    return getattr(getattr(schema, "_strawberry_schema", None), "schema_converter", None)


def _wraps_plainly(schema: GraphQLSchema, resolve: Any) -> bool:
    """Whether `resolve` is strawberry's own wrapper, in a schema without exception handlers."""
    if getattr(resolve, "__module__", None) != "strawberry.schema.schema_converter":
        return False
    if getattr(resolve, "__name__", None) not in _STRAWBERRYS_WRAPPERS:
        return False
    converter = _converter(schema)
    if converter is None or getattr(converter, "_exception_handler_specs", True):
        return False
    return converter.config.info_class is strawberry.Info


def _converts_without_info(type_: Any, depth: int = 0) -> bool:
    """Whether strawberry's `convert_argument` of this type never reads its info (no `from_input` anywhere in it)."""
    if depth > _DEPTH:
        return False
    if isinstance(type_, LazyType):
        return _converts_without_info(type_.resolve_type(), depth + 1)
    if type(type_) is StrawberryOptional or type(type_) is StrawberryList:  # not Maybe: it wraps its value
        return _converts_without_info(type_.of_type, depth + 1)
    if has_enum_definition(type_) or isinstance(type_, StrawberryEnumDefinition):
        return True
    if has_object_definition(type_):
        definition = type_.__strawberry_definition__
        if not definition.is_input or definition.from_input is not None:
            return False
        return all(
            _converts_without_info(field.resolve_type(type_definition=definition), depth + 1)
            for field in definition.fields
        )
    # A scalar (a built-in, a mapped NewType, a GlobalID): converted as it is, or by GlobalID.from_id.
    return isinstance(type_, type) or hasattr(type_, "__supertype__")


def arguments_converter(
    schema: GraphQLSchema, arguments: list[StrawberryArgument]
) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    if not all(_converts_without_info(argument.type) for argument in arguments):
        return None
    converter = _converter(schema)
    config, scalar_registry = converter.config, converter.scalar_registry

    def convert(coerced: dict[str, Any]) -> dict[str, Any]:
        return convert_arguments(coerced, arguments, scalar_registry=scalar_registry, config=config)

    return convert


def direct_resolver(schema: GraphQLSchema, field_def: GraphQLField, resolve: Any) -> DirectResolver | None:
    """The field's function bound to be called as strawberry's wrapper would call it; None when the wrapper has
    work to do."""
    if not _wraps_plainly(schema, resolve):
        return None
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField):
        return None
    resolver = definition.base_resolver
    if resolver is None or definition.extensions or not callable(resolver.wrapped_func):
        return None
    convert = None
    if field_def.args or definition.arguments:
        convert = arguments_converter(schema, definition.arguments)
        if convert is None:
            return None
    function = resolver.wrapped_func
    prefetched = prefetched_reader(function) if convert is None else None
    takes_self = resolver.self_parameter is not None
    sources = tuple(parameter.name for parameter in (resolver.parent_parameter, resolver.root_parameter) if parameter)
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None

    info_class = strawberry.Info
    if takes_self and not sources and convert is None and info_name == "info":
        # The usual method, `def field(self, info)`: called as such, with no keywords gathered.
        def call_method_with_info(source: Any, info: Any, converted: dict[str, Any] | None) -> Any:
            return function(source, info=info_class(info, definition))

        return DirectResolver(call_method_with_info, None, prefetched)

    def call(source: Any, info: Any, converted: dict[str, Any] | None) -> Any:
        # As strawberry's `get_arguments`: the converted arguments, then the parent/root and info parameters.
        keywords = dict(converted) if converted else {}
        for name in sources:
            keywords[name] = source
        if info_name is not None:
            keywords[info_name] = info_class(info, definition)
        return function(source, **keywords) if takes_self else function(**keywords)

    return DirectResolver(call, convert, prefetched)

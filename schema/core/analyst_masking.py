"""What analysts read, schema-wide: every String an analyst is served passes through a mask, whatever type or field
it belongs to, over HTTP and subscriptions alike (both execute the same field resolvers).

The default mask hides phone numbers, emails and links in any text (names in free text cannot be found by a
pattern; the fields that hold names have their own rule below). Fields whose value is a person's identifier as a
whole (a full name, an address's house and flat, an individual's INN, a file's name) have a rule of their own. A new
String field is masked by default: forgetting it cannot leak a phone number.

Only String fields are wrapped, and for anyone but an analyst the wrapper is one attribute check.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    default_field_resolver,
)

from models.enums import Role
from services.cabinet.masking import (
    mask_address,
    mask_filename,
    mask_free_text,
    mask_inn,
    mask_person_name,
)
from services.identity.contacts import mask_email, mask_phone

Rule = Callable[[str, Any, Any], str | None]  # (value, source object, viewer) → what the analyst sees


def _own(source: Any, viewer: Any) -> bool:
    """Whether `source` (a Customer) is the viewer themself."""
    row_id = getattr(source, "row_id", None)
    if row_id is None:
        row_id = getattr(getattr(source, "model", None), "id", None)
    return row_id is not None and row_id == viewer.customer_id


def _own_or_hidden(value: str, source: Any, viewer: Any) -> str | None:
    return value if _own(source, viewer) else None


def _contact(mask: Callable[[str], str]) -> Rule:
    # Idempotent masks: a contact the type already masked comes out the same.
    return lambda value, source, viewer: value if _own(source, viewer) else mask(value)


RULES: dict[tuple[str, str], Rule] = {
    ("Customer", "fullName"): _own_or_hidden,
    # The analyst's own contacts stay readable to them.
    ("Customer", "phone"): _contact(mask_phone),
    ("Customer", "email"): _contact(mask_email),
    ("Contract", "holderName"): lambda value, source, _: (
        mask_person_name(value) if value.upper().startswith("ИП") else mask_free_text(value)
    ),
    ("Contract", "inn"): lambda value, _, __: mask_inn(value),
    ("ContractAccessRequest", "inn"): lambda value, _, __: mask_inn(value),
    ("DeliveryPoint", "address"): lambda value, _, __: mask_address(value),
    ("TechConnection", "address"): lambda value, _, __: mask_address(value),
    ("PersonalAccount", "address"): lambda value, _, __: mask_address(value),
    ("IsuPoint", "address"): lambda value, _, __: mask_address(value),
    ("StoredFile", "filename"): lambda value, _, __: mask_filename(value),
}


def _default(value: str, source: Any, viewer: Any) -> str | None:
    return mask_free_text(value)


def _apply(rule: Rule, value: Any, source: Any, viewer: Any) -> Any:
    if isinstance(value, str):
        return rule(value, source, viewer)
    if isinstance(value, list):
        return [rule(item, source, viewer) if isinstance(item, str) else item for item in value]
    return value


def _is_string(graphql_type: Any) -> bool:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLScalarType) and graphql_type.name == "String"


def _nullable(graphql_type: Any) -> bool:
    return not isinstance(graphql_type, GraphQLNonNull)


def _masked(resolve: Callable[..., Any], rule: Rule, nullable: bool) -> Callable[..., Any]:
    def for_analysts(value: Any, source: Any, viewer: Any) -> Any:
        masked = _apply(rule, value, source, viewer)
        # A non-null field cannot answer null: its value is hidden as a whole instead.
        return "***" if masked is None and not nullable and value is not None else masked

    def resolve_masked(source: Any, info: Any, **arguments: Any) -> Any:
        result = resolve(source, info, **arguments)
        viewer = getattr(info.context, "viewer", None)
        if viewer is None or viewer.role is not Role.ANALYST:
            return result
        if inspect.isawaitable(result):

            async def later() -> Any:
                return for_analysts(await result, source, viewer)

            return later()
        return for_analysts(result, source, viewer)

    return resolve_masked


def mask_strings_for_analysts(schema: GraphQLSchema) -> int:
    """Wrap the resolver of every String field of every object type; how many were wrapped."""
    wrapped = 0
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        if graphql_type is schema.subscription_type:
            continue  # its fields produce event streams; the events' own fields are wrapped
        for name, field in graphql_type.fields.items():
            if not _is_string(field.type):
                continue
            rule = RULES.get((graphql_type.name, name), _default)
            field.resolve = _masked(field.resolve or default_field_resolver, rule, _nullable(field.type))
            wrapped += 1
    return wrapped

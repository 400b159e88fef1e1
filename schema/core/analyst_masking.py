"""What analysts read, schema-wide: every String an analyst is served passes through a mask, whatever type or field
it belongs to, over HTTP and subscriptions alike (both execute the same field resolvers).

The default mask treats every string as free text (`mask_free_text`): phone numbers, emails, links, full names with a
patronymic, surnames with initials, house and flat numbers, and every form of the stored names of the people the
object is about (its customer, its author, its appeal's customer), read by one loader per request. Fields whose value
is a person's identifier as a whole (a full name, an address's house and flat, an individual's INN, a file's name)
have a rule of their own. A new String field is masked by default: forgetting it cannot leak a phone number.

Only String fields are wrapped, and for anyone but an analyst the wrapper is one attribute check; the compiled path
(schema/core/compiled/plan.py) plans a non-analyst's query with the unwrapped resolvers (`unmasked_resolver`), so that
its strings are read by their plain getters like any other field.
"""

from __future__ import annotations

import inspect
import re
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

from loaders.appeals import AppealById
from loaders.identity import CustomerById
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


# Who a source object is about, by its private attributes: a customer's own rows, a message's author, an appeal's.
_PERSON_ATTRIBUTES = ("customer_id", "author_id")
_LETTERS = re.compile(r"[А-Яа-яЁё]")  # a text without Cyrillic letters holds no Russian name: no names are read


async def _names_of(source: Any, info: Any) -> list[str]:
    """The stored full names of the people `source` is about."""
    loaders = info.context.loaders
    ids = {value for name in _PERSON_ATTRIBUTES if isinstance(value := getattr(source, name, None), int)}
    appeal_id = getattr(source, "appeal_id", None)
    if isinstance(appeal_id, int):
        appeal = await loaders.get(AppealById).load(appeal_id)
        if appeal is not None:
            ids.add(appeal.customer_id)
    if not ids:
        return []
    people = await loaders.get(CustomerById).load_many(sorted(ids))
    return [person.full_name for person in people if person is not None and person.full_name]


def _free_text(value: Any, source: Any, info: Any) -> Any:
    """The default mask, with the names of the people the source is about (read only for text that has letters)."""
    texts = value if isinstance(value, list) else [value]
    if not any(isinstance(text, str) and _LETTERS.search(text) for text in texts):
        return _apply(lambda text, _, __: mask_free_text(text), value, source, None)

    async def with_names() -> Any:
        names = await _names_of(source, info)
        return _apply(lambda text, _, __: mask_free_text(text, names=names), value, source, None)

    return with_names()


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


def _masked(resolve: Callable[..., Any], rule: Rule | None, nullable: bool) -> Callable[..., Any]:
    """`rule` None: the default, free text."""

    def for_analysts(value: Any, source: Any, info: Any) -> Any:
        if rule is None:
            return _free_text(value, source, info)
        masked = _apply(rule, value, source, info.context.viewer)
        # A non-null field cannot answer null: its value is hidden as a whole instead.
        return "***" if masked is None and not nullable and value is not None else masked

    def resolve_masked(source: Any, info: Any, **arguments: Any) -> Any:
        result = resolve(source, info, **arguments)
        if not masks_strings(info.context):
            return result
        if inspect.isawaitable(result):

            async def later() -> Any:
                masked = for_analysts(await result, source, info)
                return await masked if inspect.isawaitable(masked) else masked

            return later()
        return for_analysts(result, source, info)

    resolve_masked.unmasked = resolve  # type: ignore[attr-defined]
    return resolve_masked


def masks_strings(context: Any) -> bool:
    """Whether the strings of this request's answer are masked: its viewer is an analyst."""
    viewer = getattr(context, "viewer", None)
    return viewer is not None and viewer.role is Role.ANALYST


def unmasked_resolver(resolve: Any) -> Any:
    """The resolver a masked field wraps (what it answers whenever `masks_strings` is false); others unchanged."""
    return getattr(resolve, "unmasked", resolve)


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
            rule = RULES.get((graphql_type.name, name))
            field.resolve = _masked(field.resolve or default_field_resolver, rule, _nullable(field.type))
            wrapped += 1
    return wrapped

"""Queries that select everything a viewer can reach, built from the schema's introspection (not a list of fields).

`Walker(introspection)` knows every type; `selection(type_name, depth)` selects every field of that type whose
arguments it can fill (connections get `first: 3`, periods get a range around the test's moment), descending into
object, interface and union types up to `depth` levels and never into a type already on the path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"
INTROSPECTION = f"""
{{ __schema {{
  queryType {{ name }} subscriptionType {{ name }}
  types {{
    kind name
    possibleTypes {{ name }}
    interfaces {{ name }}
    enumValues {{ name }}
    fields {{ name args {{ name defaultValue type {{ {TYPE_REF} }} }} type {{ {TYPE_REF} }} }}
  }}
}} }}
"""
DATES = {"from": "2026-10-01", "to": "2026-11-25"}
DATE_TIMES = {"from": "2026-10-01T00:00:00+03:00", "to": "2026-11-25T00:00:00+03:00"}


def _named(type_ref: dict[str, Any]) -> dict[str, Any]:
    while type_ref.get("ofType"):
        type_ref = type_ref["ofType"]
    return type_ref


class Walker:
    def __init__(self, introspection: dict[str, Any]) -> None:
        schema = introspection["__schema"]
        self.types: dict[str, dict[str, Any]] = {each["name"]: each for each in schema["types"]}
        self.query = schema["queryType"]["name"]
        self.subscription = (schema.get("subscriptionType") or {}).get("name")

    def node_types(self) -> list[str]:
        return sorted(
            name
            for name, each in self.types.items()
            if each["kind"] == "OBJECT" and any(i["name"] == "Node" for i in each.get("interfaces") or [])
        )

    def _argument(self, argument: dict[str, Any]) -> str | None:
        """A literal for the argument; None to leave it out (optional, or not fillable)."""
        named = _named(argument["type"])
        required = argument["type"]["kind"] == "NON_NULL" and argument["defaultValue"] is None
        name, type_name = argument["name"], named["name"]
        if name == "first" and type_name == "Int":
            return "3"
        if type_name == "Date" and name in DATES:
            return f'"{DATES[name]}"'
        if type_name == "DateTime" and name in DATE_TIMES:
            return f'"{DATE_TIMES[name]}"'
        if not required:
            return None
        if type_name == "Boolean":
            return "false"
        if named["kind"] == "ENUM":
            return str(self.types[type_name]["enumValues"][0]["name"])
        raise LookupError(f"cannot fill {name}: {type_name}")

    def _arguments(self, field: dict[str, Any]) -> str | None:
        filled = []
        for argument in field["args"]:
            try:
                literal = self._argument(argument)
            except LookupError:
                return None
            if literal is not None:
                filled.append(f"{argument['name']}: {literal}")
        return f"({', '.join(filled)})" if filled else ""

    def fields(self, type_name: str, depth: int, path: frozenset[str]) -> Iterator[str]:
        for field in self.types[type_name]["fields"] or []:
            arguments = self._arguments(field)
            if arguments is None:
                continue
            named = _named(field["type"])
            if named["kind"] in ("SCALAR", "ENUM"):
                yield f"{field['name']}{arguments}"
                continue
            if depth <= 0 or named["name"] in path:
                continue
            inner = self.selection(named["name"], depth - 1, path | {named["name"]})
            if inner:
                yield f"{field['name']}{arguments} {inner}"

    def selection(self, type_name: str, depth: int, path: frozenset[str] = frozenset()) -> str:
        definition = self.types[type_name]
        parts = ["__typename"]
        if definition["kind"] == "OBJECT":
            parts += list(self.fields(type_name, depth, path | {type_name}))
        else:  # an interface or a union: every possible type
            for possible in definition["possibleTypes"] or []:
                inner = list(self.fields(possible["name"], depth, path | {possible["name"]}))
                if inner:
                    parts.append(f"... on {possible['name']} {{ {' '.join(inner)} }}")
        return "{ " + " ".join(parts) + " }" if len(parts) > 1 else ""

    def root_fields(self, type_name: str) -> list[tuple[str, dict[str, Any]]]:
        """(field name, field) of a root type whose arguments can be filled."""
        return [
            (field["name"], field) for field in self.types[type_name]["fields"] if self._arguments(field) is not None
        ]

    def root_query(self, field: dict[str, Any], depth: int) -> str:
        arguments = self._arguments(field) or ""
        named = _named(field["type"])
        if named["kind"] in ("SCALAR", "ENUM"):
            return f"{{ {field['name']}{arguments} }}"
        return f"{{ {field['name']}{arguments} {self.selection(named['name'], depth, frozenset({named['name']}))} }}"


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value (keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


MAX_TOKENS = 4800  # the server parses at most 5,000 tokens a document
_TOKEN = re.compile(r'"[^"]*"|[A-Za-z_][A-Za-z0-9_]*|\.\.\.|[{}():,!$@=\[\]]|-?\d+')


def largest(build: Callable[[int], str], depth: int) -> str:
    """The deepest document `build(depth)` that the server's token limit lets through."""
    for each in range(depth, -1, -1):
        document = build(each)
        if len(_TOKEN.findall(document)) <= MAX_TOKENS:
            return document
    raise ValueError("even depth 0 is too large")

"""What the client selected under the current field: lets a list's resolver fetch its items' children up front.

A child resolved per item would be an awaitable per item, and graphql-core runs each as a task of its own; fetched
once for the whole page, the children become plain attributes (see DESIGN.md section 6).

The document's own field nodes are read (fragments looked through, directives not evaluated, as strawberry's
`info.selected_fields` does): converting the whole selection to strawberry's objects cost more than the question.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode

from schema.core.context import Info


def _fields(nodes: Iterable[Any], fragments: Mapping[str, FragmentDefinitionNode]) -> Iterable[FieldNode]:
    """The fields under the selection sets of `nodes` (fields, inline fragments, fragment definitions)."""
    for node in nodes:
        selection_set = node.selection_set
        for selection in selection_set.selections if selection_set is not None else ():
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from _fields((selection,), fragments)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    yield from _fields((fragment,), fragments)


def selects(info: Info, *path: str) -> bool:
    """Whether the current field's selection reaches `path` (camelCase names; fragments are looked through)."""
    raw = info._raw_info
    level: list[FieldNode] = list(_fields(raw.field_nodes, raw.fragments))
    for index, name in enumerate(path):
        matches = [field for field in level if field.name.value == name]
        if not matches:
            return False
        if index == len(path) - 1:
            return True
        level = list(_fields(matches, raw.fragments))
    return True

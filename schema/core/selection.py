"""What the client selected under the current field: lets a list's resolver fetch its items' children up front.

A child resolved per item would be an awaitable per item, and graphql-core runs each as a task of its own; fetched
once for the whole page, the children become plain attributes (see DESIGN.md section 6).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from schema.core.context import Info


def _fields(selections: Iterable[Any]) -> Iterable[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, InlineFragment | FragmentSpread):
            yield from _fields(selection.selections)


def selects(info: Info, *path: str) -> bool:
    """Whether the current field's selection reaches `path` (camelCase names; fragments are looked through)."""
    level: list[Any] = [field for selected in info.selected_fields for field in _fields(selected.selections)]
    for index, name in enumerate(path):
        matches = [field for field in level if field.name == name]
        if not matches:
            return False
        if index == len(path) - 1:
            return True
        level = [child for match in matches for child in _fields(match.selections)]
    return True

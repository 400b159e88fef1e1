"""Answers that depend on a parsed document alone (its census, its cost), kept per document object.

The parser cache (`ParserCache` in schema/core/build.py) hands every request with the same text the same
`DocumentNode`, so a document seen again costs a dictionary look-up instead of another walk of its tree. Entries
are keyed by the objects' ids and hold the objects themselves: an id cannot be reused by another document while its
entry lives. Bounded: a flood of distinct documents empties the memo instead of growing it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class DocumentMemo(Generic[V]):
    def __init__(self, *, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._entries: dict[tuple[Hashable, ...], tuple[tuple[object, ...], V]] = {}

    def get(self, objects: tuple[object, ...], extra: Hashable, compute: Callable[[], V]) -> V:
        """`compute()` for these objects (the document, the schema) and `extra` (e.g. the operation's name), once."""
        key = (*(id(item) for item in objects), extra)
        held = self._entries.get(key)
        if held is not None and all(kept is item for kept, item in zip(held[0], objects, strict=True)):
            return held[1]
        value = compute()
        if len(self._entries) >= self.maxsize:
            self._entries.clear()
        self._entries[key] = (objects, value)
        return value

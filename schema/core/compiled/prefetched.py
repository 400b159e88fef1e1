"""Resolvers whose value is already on their source when a parent prefetched it: read without an info.

A statement's charges, recalculations and payments are fetched for a whole page at once (`Statement.with_lines`) and
kept on each statement; its resolvers then only build the list. Still, as resolvers, each costs the compiled path a
path, a `GraphQLResolveInfo`, a strawberry `Info` and a call — three per statement of a cabinet. A resolver marked
`@read_when_prefetched(read)` tells the plan how to read its value from the source alone: `read(source)` answers it,
or `NOT_PREFETCHED` when the source does not carry it, and then the resolver runs as usual. The resolver must answer
the very same when called (it should call `read` itself first), so graphql-core's way and the compiled path agree;
only fields that strawberry's wrapper has nothing to do for (direct.py) are read so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

NOT_PREFETCHED: Any = object()  # what `read` answers when the source does not carry the value
_READ = "_read_when_prefetched"


def read_when_prefetched(read: Callable[[Any], Any]) -> Callable[[F], F]:
    def mark(function: F) -> F:
        setattr(function, _READ, read)
        return function

    return mark


def prefetched_reader(function: Any) -> Callable[[Any], Any] | None:
    """The `read` a resolver function was marked with, or None."""
    read: Callable[[Any], Any] | None = getattr(function, _READ, None)
    return read

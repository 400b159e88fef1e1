"""The one way a subscription field streams events (`live`): resumable, typed, and as the viewer sees each object now.

A field hands over the `after` the client passed, the channels it may listen on, the event kinds it wants and how to
build its GraphQL type from one event; `live` does the rest (see `services.events.stream.follow` beneath it).
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable, Collection, Sequence
from typing import TypeVar

from loaders.registry import Loaders
from schema.core.context import Info
from schema.core.errors import BadUserInputError
from services.errors import DomainError
from services.events.kinds import DomainEvent
from services.events.resume import resume_position
from services.events.stream import follow
from services.platform.database import Database

E = TypeVar("E", bound=DomainEvent)
T = TypeVar("T")

# The subscribers of one event share its loaders (issue 15: a statement per socket per event made delivery to 5,000
# sockets slow): the first to build reads, the others, in the same tick or soon after, find the rows batched or
# cached. Loaders hold rows, not what the viewer may see: each subscriber still applies its own visibility rules.
# Shared only for `SHARE_SECONDS`, so that an event built later (a replay) reads the objects as they are then.
SHARE_SECONDS = 1.0
SHARED_EVENTS = 64
_shared: weakref.WeakKeyDictionary[Database, OrderedDict[int, tuple[float, Loaders]]] = weakref.WeakKeyDictionary()


def event_loaders(db: Database, position: int) -> Loaders:
    """The loaders of the event at `position`, shared by this process's subscribers for a moment."""
    recent = _shared.get(db)
    if recent is None:
        recent = _shared[db] = OrderedDict()
    now = time.monotonic()
    held = recent.get(position)
    if held is not None and now - held[0] < SHARE_SECONDS:
        return held[1]
    # Oldest first: drop those past their moment (this event's too), and keep at most SHARED_EVENTS.
    while recent and (len(recent) >= SHARED_EVENTS or now - next(iter(recent.values()))[0] >= SHARE_SECONDS):
        recent.popitem(last=False)
    loaders = Loaders(db)
    recent[position] = (now, loaders)
    return loaders


async def live(
    info: Info,
    *,
    after: str | None,
    channels: Callable[[], Awaitable[Collection[str]]],
    kinds: Sequence[type[E]],
    build: Callable[[E, str], Awaitable[T | None]],
) -> AsyncGenerator[T]:
    """What a subscription field yields.

    `after` (the last `eventId` the client saw) is checked first, then `channels()` (which raises when the viewer may
    not listen); then each event of `kinds` on those channels, missed ones first, goes to `build(event, event_id)`
    with fresh loaders (shared with the other subscribers of that event, see `event_loaders`), so it reads the
    object as it is now and as the viewer may see it. `build` returns None to skip an event (say, the object is gone
    or no longer visible).
    """
    try:
        position = resume_position(after)
    except DomainError as error:
        problem = error.problems[0]
        raise BadUserInputError(problem.message, problem.code) from None
    listened = await channels()
    async for delivered in follow(info.context.runtime, channels=listened, after=position, kinds=kinds):
        info.context.use_loaders(event_loaders(info.context.db, delivered.position))  # nothing cached across events
        item = await build(delivered.event, delivered.event_id)
        if item is not None:
            yield item

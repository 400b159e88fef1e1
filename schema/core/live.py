"""The one way a subscription field streams events (`live`): resumable, typed, and as the viewer sees each object now.

A field hands over the `after` the client passed, the channels it may listen on, the event kinds it wants and how to
build its GraphQL type from one event; `live` does the rest (see `services.events.stream.follow` beneath it).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Collection, Sequence
from typing import TypeVar

from schema.core.context import Info
from schema.core.errors import BadUserInputError
from services.errors import DomainError
from services.events.kinds import DomainEvent
from services.events.resume import resume_position
from services.events.stream import follow

E = TypeVar("E", bound=DomainEvent)
T = TypeVar("T")


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
    with fresh loaders, so it reads the object as it is now and as the viewer may see it. `build` returns None to
    skip an event (say, the object is gone or no longer visible).
    """
    try:
        position = resume_position(after)
    except DomainError as error:
        problem = error.problems[0]
        raise BadUserInputError(problem.message, problem.code) from None
    listened = await channels()
    async for delivered in follow(info.context.runtime, channels=listened, after=position, kinds=kinds):
        info.context.reset_loaders()  # nothing cached across events
        item = await build(delivered.event, delivered.event_id)
        if item is not None:
            yield item

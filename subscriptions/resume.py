"""The `after` argument of subscriptions: the last `eventId` a client saw, to resume from."""

from __future__ import annotations

from schema.core.errors import BadUserInputError


def resume_position(after: str | None) -> int | None:
    if after is None:
        return None
    if not (after.isascii() and after.isdigit()) or len(after) > 18:
        raise BadUserInputError("Неверный eventId: передайте последний полученный")
    return int(after)

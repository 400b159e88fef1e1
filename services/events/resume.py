"""The `after` argument of subscriptions: the last `eventId` (publishing position) a client saw, to resume from."""

from __future__ import annotations

from services.errors import DomainError, ErrorCode

MAX_DIGITS = 18  # positions are bigint


def resume_position(after: str | None) -> int | None:
    """None: start with live events; else the position to replay after. Raises `DomainError` for anything else."""
    if after is None:
        return None
    if not (after.isascii() and after.isdigit()) or len(after) > MAX_DIGITS:
        raise DomainError.single(ErrorCode.INVALID_INPUT, "Неверный eventId: передайте последний полученный", "after")
    return int(after)

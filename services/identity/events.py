"""`identity.sessions_revoked`: written with a revocation (sign-out, password change or recovery, a reused refresh
token), so that every process's session guard ends those sessions' access tokens and sockets at once."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlmodel.ext.asyncio.session import AsyncSession

from services.events.kinds import DomainEvent
from services.events.outbox import SESSIONS_CHANNEL, record_event


@dataclass(frozen=True, slots=True)
class SessionsRevoked(DomainEvent):
    type: ClassVar[str] = "identity.sessions_revoked"

    session_ids: tuple[uuid.UUID, ...]

    def channels(self) -> tuple[str, ...]:
        return (SESSIONS_CHANNEL,)


def record_revocation(session: AsyncSession, session_ids: Collection[uuid.UUID], *, now: datetime) -> None:
    """In the transaction that revokes them; nothing when none was revoked."""
    if session_ids:
        record_event(session, SessionsRevoked(tuple(session_ids)), now=now)

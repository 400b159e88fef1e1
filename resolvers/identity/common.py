"""What the identity resolvers share: who the client is, and telling the session guard about revocations."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from schema.core.context import Info
from services.identity.guard import session_guard
from services.identity.sessions import ClientInfo


def client_info(info: Info) -> ClientInfo:
    return ClientInfo(ip=info.context.client_ip, user_agent=info.context.request.headers.get("user-agent"))


def note_revoked(info: Info, session_ids: Iterable[uuid.UUID]) -> None:
    """Revoked sessions end at once in this process (other processes notice within the guard's cache time)."""
    session_guard(info.context.runtime).note_revoked(session_ids)

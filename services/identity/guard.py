"""The session guard: answers "is this access token's session revoked?" cheaply, for HTTP and websockets.

Access tokens are stateless JWTs; revoking their session must still end them. Each process keeps a short cache of
answers (a revoked session stays revoked, so that answer is kept for good) and forgets "alive" answers after a few
seconds; revocations made by this process are noted at once and wake the websockets waiting on them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import col

from models.enums import Role
from models.identity import AuthSession, Customer
from services.auth_tokens import Viewer
from services.platform.clock import Clock
from services.platform.database import Database, run
from services.platform.runtime import Runtime

ALIVE_TTL_SECONDS = 5.0
MAX_ENTRIES = 20_000


class SessionGuard:
    def __init__(self, db: Database, clock: Clock, *, poll_seconds: float = 1.0) -> None:
        self.db = db
        self.clock = clock
        self.poll_seconds = poll_seconds
        self._revoked: set[uuid.UUID] = set()
        # session id -> (monotonic time of the check, the session's customer and that customer's role)
        self._alive: dict[uuid.UUID, tuple[float, int, Role]] = {}
        self._waiters: dict[uuid.UUID, set[asyncio.Event]] = {}

    async def is_revoked(self, session_id: uuid.UUID) -> bool:
        return await self._owner(session_id) is None

    async def honours(self, viewer: Viewer) -> bool:
        """Whether the token's session is alive and belongs to the customer and role the token names, as stored.

        The claims are only what the token says: a token signed with a leaked key, naming a live session but
        another customer or `role: ADMIN`, is worth nothing (issue 13).
        """
        owner = await self._owner(viewer.session_id)
        return owner is not None and owner == (viewer.customer_id, viewer.role)

    async def _owner(self, session_id: uuid.UUID) -> tuple[int, Role] | None:
        """The live session's customer and role; None when it is revoked, expired or unknown."""
        if session_id in self._revoked:
            return None
        checked = self._alive.get(session_id)
        if checked is not None and time.monotonic() - checked[0] < ALIVE_TTL_SECONDS:
            return checked[1], checked[2]
        async with self.db.session() as session:
            row = (
                await run(
                    session,
                    sa.select(
                        col(AuthSession.revoked_at), col(AuthSession.expires_at), col(Customer.id), col(Customer.role)
                    )
                    .join(Customer, col(Customer.id) == col(AuthSession.customer_id))
                    .where(col(AuthSession.id) == session_id),
                )
            ).one_or_none()
        if row is None or row.revoked_at is not None or row.expires_at <= self.clock.now():
            self.note_revoked([session_id])
            return None
        if len(self._alive) >= MAX_ENTRIES:
            self._alive.clear()
        self._alive[session_id] = (time.monotonic(), row.id, row.role)
        return row.id, row.role

    def note_revoked(self, session_ids: Iterable[uuid.UUID]) -> None:
        for session_id in session_ids:
            if len(self._revoked) >= MAX_ENTRIES:
                self._revoked.clear()  # they are re-learnt from the database on the next check
            self._revoked.add(session_id)
            self._alive.pop(session_id, None)
            for event in self._waiters.get(session_id, ()):
                event.set()

    async def wait_revoked(self, session_id: uuid.UUID, timeout: float) -> None:
        """Return when the session is revoked or `timeout` has passed (by the injected clock or in real time)."""
        loop = asyncio.get_running_loop()
        real_deadline = loop.time() + timeout
        clock_deadline = self.clock.now().timestamp() + timeout
        event = asyncio.Event()
        self._waiters.setdefault(session_id, set()).add(event)
        try:
            while True:
                if await self.is_revoked(session_id):
                    return
                left = min(real_deadline - loop.time(), clock_deadline - self.clock.now().timestamp())
                if left <= 0:
                    return
                try:
                    await asyncio.wait_for(event.wait(), timeout=min(self.poll_seconds, left))
                except TimeoutError:
                    continue
        finally:
            waiters = self._waiters.get(session_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[session_id]


def session_guard(runtime: Runtime) -> SessionGuard:
    guard: SessionGuard | None = runtime.extras.get("session_guard")
    if guard is None:
        guard = runtime.extras["session_guard"] = SessionGuard(runtime.db, runtime.clock)
    return guard


async def install_session_guard(runtime: Runtime) -> None:
    session_guard(runtime)

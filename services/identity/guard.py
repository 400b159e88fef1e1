"""The session guard: answers "is this access token's session revoked?" cheaply, for HTTP and websockets.

Access tokens are stateless JWTs; revoking their session must still end them. A revocation is written with an
`identity.sessions_revoked` event (`services.identity.events`), which the broker hands to every process: each
process's guard listens for them, ends the sessions' sockets at once and refuses their tokens from then on.

So a process asks the database about a session rarely: it keeps "alive" answers while revocations reach it live (its
feed is running and the broker connected), for at most `alive_ttl_seconds` (a safety net should the feed die
silently); while they may not (no feed, as in a command-line task, or Redis away), every question goes to the
database. A GAP in the feed (revocations may have been missed) forgets the "alive" answers. "Revoked" answers are
kept for good: a revoked session stays revoked.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
import structlog
from sqlmodel import col

from models.enums import Role
from models.identity import AuthSession, Customer
from services.auth_tokens import Viewer
from services.events.broker import Broker
from services.events.envelope import Gap
from services.events.kinds import UnreadablePayload
from services.events.outbox import SESSIONS_CHANNEL
from services.identity.events import SessionsRevoked
from services.platform.clock import Clock
from services.platform.database import Database, run
from services.platform.runtime import Runtime

log = structlog.get_logger("session_guard")

MAX_ENTRIES = 20_000
ALIVE_TTL_SECONDS = 60.0
_KINDS = {SessionsRevoked.type: SessionsRevoked}


class SessionGuard:
    def __init__(
        self, db: Database, clock: Clock, *, poll_seconds: float = 1.0, alive_ttl_seconds: float = ALIVE_TTL_SECONDS
    ) -> None:
        self.db = db
        self.clock = clock
        self.poll_seconds = poll_seconds  # how often a waiting socket looks at the clock (its token's expiry)
        self.alive_ttl_seconds = alive_ttl_seconds
        self._revoked: set[uuid.UUID] = set()
        # session id -> (monotonic time of the answer, when the session expires, its customer, that customer's role)
        self._alive: dict[uuid.UUID, tuple[float, datetime, int, Role]] = {}
        self._waiters: dict[uuid.UUID, set[asyncio.Event]] = {}
        self._broker: Broker | None = None
        self._feed: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._generation = 0  # counts GAPs: an answer read across one is not kept

    @property
    def trusted(self) -> bool:
        """Whether revocations reach this process live, so that an "alive" answer stays true until one arrives."""
        return (
            self._broker is not None
            and self._broker.live
            and self._listening.is_set()
            and self._feed is not None
            and not self._feed.done()
        )

    async def start(self, broker: Broker) -> None:
        """Listen for revocations on `broker` (started); returns once listening."""
        if self._feed is not None:
            return
        self._broker = broker
        self._feed = asyncio.create_task(self._follow(broker), name="session-guard-feed")
        listening = asyncio.ensure_future(self._listening.wait())
        await asyncio.wait({listening, self._feed}, return_when=asyncio.FIRST_COMPLETED)
        listening.cancel()

    async def stop(self) -> None:
        feed, self._feed = self._feed, None
        self._listening.clear()
        self._alive.clear()
        if feed is not None:
            feed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feed

    async def _follow(self, broker: Broker) -> None:
        async with broker.subscribe([SESSIONS_CHANNEL]) as live:
            self._listening.set()
            try:
                while True:
                    item = await live.get()
                    if isinstance(item, Gap):
                        self._generation += 1
                        self._alive.clear()  # revocations may have been missed: ask the database again
                        continue
                    try:
                        event = item.read(_KINDS)
                    except UnreadablePayload as error:
                        log.error("unreadable revocation skipped", event_id=item.id, error=str(error))
                        continue
                    if event is not None:
                        self.note_revoked(event.session_ids)
            finally:
                self._listening.clear()

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
        trusted, generation = self.trusted, self._generation
        held = self._alive.get(session_id) if trusted else None
        if held is not None and time.monotonic() - held[0] < self.alive_ttl_seconds and held[1] > self.clock.now():
            return held[2], held[3]
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
        # A revocation that arrived during the lookup wins; an answer read across a GAP is not kept.
        if session_id in self._revoked:
            return None
        if trusted and self.trusted and generation == self._generation:
            if len(self._alive) >= MAX_ENTRIES:
                self._alive.clear()
            self._alive[session_id] = (time.monotonic(), row.expires_at, row.id, row.role)
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
        """Return when the session is revoked or `timeout` has passed (by the injected clock or in real time).

        A revocation wakes the waiter at once; between revocations it only looks at the clock every `poll_seconds`
        (and at the database only while the guard is not `trusted`).
        """
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


async def start_session_guard(runtime: Runtime) -> None:
    """A start-up hook, after the broker's: the guard hears revocations made by any process."""
    await runtime.session_guard.start(runtime.broker)


async def stop_session_guard(runtime: Runtime) -> None:
    await runtime.session_guard.stop()

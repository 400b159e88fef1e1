"""The session guard: answers "is this access token's session revoked?" cheaply, for HTTP and websockets.

Access tokens are stateless JWTs; revoking their session must still end them. A revocation is written with an
`identity.sessions_revoked` event (`services.identity.events`), which the broker hands to every process: each
process's guard listens for them, ends the sessions' sockets at once and refuses their tokens from then on.

So a process asks the database about a session rarely: it keeps "alive" answers while revocations reach it live (its
feed is running and the broker connected), for at most `alive_ttl_seconds` (a safety net should the feed die
silently); while they may not (no feed, as in a command-line task, or Redis away), every question goes to the
database. A GAP in the feed (revocations may have been missed) forgets the "alive" answers. "Revoked" answers are
kept for good: a revoked session stays revoked.

A watched socket (`watch`) costs nothing while idle (issue 15): no task, a callback that a revocation, a timer at its
deadline, or the process's one ticker calls. The ticker looks at the injected clock every `poll_seconds`
and, in one statement for all waiting sessions, at the database: every tick while the guard is not `trusted`, at once
after a GAP, and every `alive_ttl_seconds` otherwise (the same safety net as for the answers kept).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

import structlog

from models.enums import Role
from services.auth_tokens import Viewer
from services.events.broker import Broker
from services.events.envelope import Gap
from services.events.kinds import UnreadablePayload
from services.events.outbox import SESSIONS_CHANNEL
from services.identity.events import SessionsRevoked
from services.platform.clock import Clock
from services.platform.database import Database
from services.platform.runtime import Runtime

log = structlog.get_logger("session_guard")

MAX_ENTRIES = 20_000
ALIVE_TTL_SECONDS = 60.0
_KINDS = {SessionsRevoked.type: SessionsRevoked}
# A session's state and its customer's role, as stored.
_OWNER = (
    "SELECT s.revoked_at, s.expires_at, c.id AS customer_id, c.role FROM auth_session s "
    "JOIN customer c ON c.id = s.customer_id WHERE s.id = $1"
)
# The watched sessions' states, all at once.
_WATCHED = "SELECT id, revoked_at, expires_at FROM auth_session WHERE id = ANY($1::uuid[])"


class Watch:
    """One watched session (a socket's, or a `wait_revoked` call's): `on_end(revoked)` once when it is revoked or the
    deadline comes; `on_error(error)` at each failed check of the database (the watch stays: the ticker checks again).
    A socket holds this and a timer, no task (issue 15: memory per socket)."""

    __slots__ = ("_guard", "_timer", "active", "clock_deadline", "on_end", "on_error", "session_id")

    def __init__(
        self,
        guard: SessionGuard,
        session_id: uuid.UUID,
        clock_deadline: float,
        on_end: Callable[[bool], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        self._guard = guard
        self.session_id = session_id
        self.clock_deadline = clock_deadline
        self.on_end = on_end
        self.on_error = on_error
        self.active = True
        self._timer: asyncio.TimerHandle | None = None

    def end(self, revoked: bool) -> None:
        if not self.active:
            return
        self.cancel()
        self.on_end(revoked)

    def cancel(self) -> None:
        """Stop watching (the socket closed first)."""
        if not self.active:
            return
        self.active = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._guard._forget(self)


class SessionGuard:
    def __init__(
        self, db: Database, clock: Clock, *, poll_seconds: float = 1.0, alive_ttl_seconds: float = ALIVE_TTL_SECONDS
    ) -> None:
        self.db = db
        self.clock = clock
        self.poll_seconds = poll_seconds  # how often the ticker looks at the clock for the waiting sockets
        self.alive_ttl_seconds = alive_ttl_seconds
        self._revoked: set[uuid.UUID] = set()
        # session id -> (monotonic time of the answer, when the session expires, its customer, that customer's role)
        self._alive: dict[uuid.UUID, tuple[float, datetime, int, Role]] = {}
        self._waiters: dict[uuid.UUID, set[Watch]] = {}
        self._deadlines: list[tuple[float, int, Watch]] = []  # a heap by the injected clock's deadline
        self._order = itertools.count()
        self._ticker: asyncio.Task[None] | None = None
        self._nudge = asyncio.Event()  # wakes the ticker early (a GAP: check the waiting sessions now)
        self._checked_at = 0.0  # monotonic time of the last check of the waiting sessions (see `_tick`)
        self._checked_generation = 0
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
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
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
                        self._nudge.set()  # and about the waiting sockets' sessions, at once
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
        rows = await self.db.fetch(_OWNER, session_id)  # a plain read: one round trip, no BEGIN/ROLLBACK
        row = rows[0] if rows else None
        if row is None or row["revoked_at"] is not None or row["expires_at"] <= self.clock.now():
            self.note_revoked([session_id])
            return None
        # A revocation that arrived during the lookup wins; an answer read across a GAP is not kept.
        if session_id in self._revoked:
            return None
        customer_id, role = row["customer_id"], Role(row["role"])
        if trusted and self.trusted and generation == self._generation:
            if len(self._alive) >= MAX_ENTRIES:
                self._alive.clear()
            self._alive[session_id] = (time.monotonic(), row["expires_at"], customer_id, role)
        return customer_id, role

    def note_revoked(self, session_ids: Iterable[uuid.UUID]) -> None:
        for session_id in session_ids:
            if len(self._revoked) >= MAX_ENTRIES:
                self._revoked.clear()  # they are re-learnt from the database on the next check
            self._revoked.add(session_id)
            self._alive.pop(session_id, None)
            for watch in list(self._waiters.get(session_id, ())):
                watch.end(revoked=True)

    def watch(
        self,
        session_id: uuid.UUID,
        timeout: float,
        *,
        on_end: Callable[[bool], None],
        on_error: Callable[[Exception], None],
    ) -> Watch:
        """Call `on_end(revoked)` once, when the session is revoked (True) or `timeout` has passed by the injected
        clock or in real time (False); `on_error` at each failed check of the database.

        The caller has just checked the session (`honours`). In between the watch makes no work at all: a revocation
        arriving through the broker ends it at once, a timer at its deadline, and the process's one ticker watches
        the injected clock and, when needed, the database for every watch at once.
        """
        watch = Watch(self, session_id, self.clock.now().timestamp() + timeout, on_end, on_error)
        self._waiters.setdefault(session_id, set()).add(watch)
        heapq.heappush(self._deadlines, (watch.clock_deadline, next(self._order), watch))
        watch._timer = asyncio.get_running_loop().call_later(max(timeout, 0.0), watch.end, False)
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick(), name="session-guard-ticker")
        return watch

    def _forget(self, watch: Watch) -> None:
        watches = self._waiters.get(watch.session_id)
        if watches is not None:
            watches.discard(watch)
            if not watches:
                del self._waiters[watch.session_id]
        if not self._waiters:
            self._deadlines.clear()
            ticker, self._ticker = self._ticker, None
            if ticker is not None and ticker is not asyncio.current_task():
                ticker.cancel()

    async def wait_revoked(self, session_id: uuid.UUID, timeout: float) -> None:
        """Return when the session is revoked or `timeout` has passed (by the injected clock or in real time).

        Raises the error of a failed check of the database, so that the caller can retry.
        """
        if await self.is_revoked(session_id):
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def ended(_: bool) -> None:
            if not done.done():
                done.set_result(None)

        def failed(error: Exception) -> None:
            if not done.done():
                done.set_exception(error)

        watch = self.watch(session_id, timeout, on_end=ended, on_error=failed)
        try:
            await done
        finally:
            watch.cancel()

    async def _tick(self) -> None:
        """While sockets wait: wake those whose deadline has come by the injected clock, and check their sessions
        in the database when revocations may not have reached this process."""
        self._checked_at = time.monotonic()  # each waiter's session was checked as it began to wait
        while self._waiters:
            with contextlib.suppress(TimeoutError):  # not wait_for: on 3.11 it can swallow the stop's cancellation
                async with asyncio.timeout(self.poll_seconds):
                    await self._nudge.wait()
            self._nudge.clear()
            now = self.clock.now().timestamp()
            while self._deadlines and self._deadlines[0][0] <= now:
                heapq.heappop(self._deadlines)[2].end(revoked=False)
            due = time.monotonic() - self._checked_at >= self.alive_ttl_seconds
            if self._waiters and (not self.trusted or due or self._checked_generation != self._generation):
                await self._check_waiting()

    async def _check_waiting(self) -> None:
        """One statement for every watched session: those revoked, expired or gone are noted (their watches end).
        A failure is handed to every watch (`on_error`); the next tick checks again."""
        generation, session_ids = self._generation, list(self._waiters)
        try:
            # One array parameter, a plain read: with 5,000 watched sessions, `IN (…)` through SQLAlchemy bound and
            # processed 5,000 parameters in the event loop (issue 15: a stall of deliveries every minute).
            rows = await self.db.fetch(_WATCHED, session_ids)
        except Exception as error:  # noqa: BLE001 - handed to every watch (a socket logs it); checked again next tick
            for watch in [watch for watches in self._waiters.values() for watch in watches]:
                if watch.active:
                    watch.on_error(error)
            return
        self._checked_at, self._checked_generation = time.monotonic(), generation
        now = self.clock.now()
        alive = {row["id"] for row in rows if row["revoked_at"] is None and row["expires_at"] > now}
        self.note_revoked([session_id for session_id in session_ids if session_id not in alive])


async def start_session_guard(runtime: Runtime) -> None:
    """A start-up hook, after the broker's: the guard hears revocations made by any process."""
    await runtime.session_guard.start(runtime.broker)


async def stop_session_guard(runtime: Runtime) -> None:
    await runtime.session_guard.stop()

"""The cost budget's ledger in one process: most queries are charged here and sent to the shared counter together.

Charging each query on the shared counter (Redis) took a round trip per request: on this machine about a fifth of
the CPU of a small query, and the wait on every request (issue 15). While the ledger runs (`start`, with the process's
background part), it charges a query from what it knows of the viewer's window, when that is safe:

- what it knows: the window's count as of its last exchange with the shared counter (every process's charges) plus
  its own charges since (`pending`), which it sends every `FLUSH_SECONDS`, all viewers in one round trip;
- a query is charged here only while what is left after it stays at least `MARGIN_SHARE` of the budget. Otherwise,
  and for a viewer's first charge of a window in this process, and for every mutation, it is charged on the shared
  counter at once, with what is pending: a refusal near the limit is as exact as before.

Each process charges at most half a budget that the shared counter has not seen yet (it stops charging locally at
half), so with P processes a viewer can exceed a window's budget by at most (P - 1)/2 budgets: half a budget with two
processes, none with one. A process's view of the others' charges is at most `FLUSH_SECONDS` old while it charges that
viewer. When the ledger is not running (tests without a lifespan, commands), every charge goes to the shared counter,
as before.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime

import structlog

from services.identity.cost_budget import COST_BUDGETS, COST_WINDOW, BudgetRole, CostCharge
from services.identity.limits import RateLimiter, window_bounds
from services.platform.runtime import Runtime

log = structlog.get_logger("cost_ledger")

FLUSH_SECONDS = 0.2
# The last flush at stop waits at most this long (a Redis that accepts but never answers must not hold the shutdown).
STOP_FLUSH_SECONDS = 5.0
# Charged here only while at least this share of the budget is left after the query.
MARGIN_SHARE = 0.5
# Viewers known at once; past it, a new viewer's charges go to the shared counter (memory stays bounded).
MAX_ENTRIES = 50_000


@dataclass(slots=True)
class _Entry:
    window_id: int
    moment: datetime  # a moment inside the window, for the limiter's key
    known: int  # the window's count as this process knows it: the shared count at the last exchange + pending
    pending: int  # charged here, not yet sent


class CostLedger:
    def __init__(self, runtime: Runtime, *, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.runtime = runtime
        self.flush_seconds = flush_seconds
        self._entries: dict[str, _Entry] = {}
        self._newest_window = 0
        self._live = False
        self._due = asyncio.Event()  # some charge is pending: the flusher sends it after `flush_seconds`
        self._flusher: asyncio.Task[None] | None = None

    @property
    def limiter(self) -> RateLimiter:
        return self.runtime.rate_limiter  # read each time: tests hand the runtime another limiter

    @property
    def live(self) -> bool:
        return self._live

    def start(self) -> None:
        if self._flusher is None:
            self._live = True
            self._flusher = asyncio.create_task(self._flush_forever(), name="cost-ledger")

    async def stop(self) -> None:
        """Stop charging locally and send what is pending (a process that stops leaves nothing uncounted)."""
        self._live = False
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
        try:
            async with asyncio.timeout(STOP_FLUSH_SECONDS):
                await self.flush()
        except Exception:  # stopping: the charges of the last FLUSH_SECONDS are lost, and said so
            log.warning("cost ledger: pending charges not sent at stop", exc_info=True)
        self._entries.clear()

    async def charge(self, *, key: str, role: BudgetRole, cost: int, now: datetime, exact: bool) -> CostCharge:
        """Charge `cost` to `key`'s window at `now`, or refuse it (charging nothing) when it does not fit.

        `exact`: on the shared counter at once whatever is known (mutations: what they change must not outrun the
        budget by a flush)."""
        limit = COST_BUDGETS[role]
        window_id, reset_at = window_bounds(now, COST_WINDOW)
        if window_id > self._newest_window:
            self._newest_window = window_id
            self._forget_past_windows()
        entry = self._entries.get(key)
        if entry is not None and entry.window_id != window_id:
            entry = None  # an earlier window's: its pending part goes out with the next flush
        if self._live and not exact and entry is not None and limit - entry.known - cost >= limit * MARGIN_SHARE:
            entry.known += cost
            entry.pending += cost
            self._due.set()
            return CostCharge(cost, limit, limit - entry.known, reset_at, refused=False)
        taken = 0
        if entry is not None:
            taken, entry.pending = entry.pending, 0
        try:
            spent = await self.limiter.hit(key, window=COST_WINDOW, now=now, amount=cost + taken)
        except BaseException:  # a cancelled request too: what was pending must not be forgotten
            if entry is not None:
                entry.pending += taken  # sent with a later charge or flush
            raise
        refused = spent > limit
        if refused:
            # Taken back at once: a refused query costs nothing, and a client waiting out the window is not kept out
            # longer. What was pending stays charged: those queries ran.
            spent = await self.limiter.hit(key, window=COST_WINDOW, now=now, amount=-cost)
        self._learn(key, window_id, now, spent)
        return CostCharge(cost, limit, max(limit - spent, 0), reset_at, refused=refused)

    async def spent(self, key: str, *, now: datetime) -> int:
        """The window's count for `key` as this process knows it (its own charges not yet sent included)."""
        window_id, _ = window_bounds(now, COST_WINDOW)
        entry = self._entries.get(key)
        if self._live and entry is not None and entry.window_id == window_id:
            return entry.known
        return await self.limiter.count(key, window=COST_WINDOW, now=now)

    def _learn(self, key: str, window_id: int, moment: datetime, shared: int) -> None:
        """The shared counter said `shared` for `key`'s window: known = that + what was charged here since."""
        entry = self._entries.get(key)
        if entry is not None and entry.window_id == window_id:
            entry.known = shared + entry.pending
        elif entry is None or entry.pending == 0:
            if entry is None and len(self._entries) >= MAX_ENTRIES:
                return
            self._entries[key] = _Entry(window_id, moment, shared, 0)

    async def _flush_forever(self) -> None:
        """Idle, it waits (no timer runs); once a charge is pending, it sends after FLUSH_SECONDS."""
        while True:
            await self._due.wait()
            await asyncio.sleep(self.flush_seconds)
            self._due.clear()
            try:
                await self.flush()
            except Exception:  # kept pending: sent with the next flush (or the next exact charge)
                log.warning("cost ledger: flush failed, retrying", exc_info=True)
                self._due.set()

    async def flush(self) -> None:
        """Send every pending charge, one round trip per window; learn the shared counts back; forget past windows."""
        by_window: dict[int, list[tuple[str, _Entry, int]]] = {}
        for key, entry in self._entries.items():
            if entry.pending:
                by_window.setdefault(entry.window_id, []).append((key, entry, entry.pending))
                entry.pending = 0
        windows = [by_window[window_id] for window_id in sorted(by_window)]
        for index, taken in enumerate(windows):
            try:
                counts = await self.limiter.hit_many(
                    [(key, amount) for key, _, amount in taken], window=COST_WINDOW, now=taken[0][1].moment
                )
            except BaseException:  # cancelled (a stop) too: what was taken goes back, sent by the next flush
                for unsent in windows[index:]:
                    for _, entry, amount in unsent:
                        entry.pending += amount
                raise
            for (key, entry, _), count in zip(taken, counts, strict=True):
                if self._entries.get(key) is entry:
                    entry.known = count + entry.pending
        self._forget_past_windows()

    def _forget_past_windows(self) -> None:
        """Entries of windows before the newest, with nothing pending: the memory bound holds with no local charge."""
        for key in [k for k, e in self._entries.items() if e.window_id < self._newest_window and not e.pending]:
            del self._entries[key]


async def start_cost_ledger(runtime: Runtime) -> None:
    """A start-up hook: from now on queries are charged in the process's ledger (see the module's note)."""
    runtime.cost_ledger.start()


async def stop_cost_ledger(runtime: Runtime) -> None:
    await runtime.cost_ledger.stop()

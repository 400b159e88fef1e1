"""The cyclic collector and thousands of long-lived websockets (issue 15).

CPython's full collection walks every object it tracks. 5,000 subscribed sockets hold about 1.7 million of them
(coroutines and tasks, strawberry's per-operation state, the broker's queues): measured on the 2-core bench machine,
one full pass took 0.5–3.5 s, and every event in flight waited behind it (delivery p99 over a second, the deliveries
of one event late together). The full passes come each time the long-lived objects grow by a quarter: several while
sockets connect, and again later as sockets come and go.

The server already freezes its start-up heap (server.py). The keeper does the same for what sockets keep: a moment
after sockets open (`note_long_lived`), it collects the young generations and freezes what survived, so that the full
passes walk only what was made since. A frozen object is still freed by reference counting when its socket closes;
only garbage in reference cycles among frozen objects waits, for the sweep: everything is unfrozen, collected once,
and frozen again. A closed socket leaves about 110 objects in cycles (measured on main: 559,000 collected by the full
pass after 5,000 sockets closed), so the sweep comes `sweep_seconds` after a freeze, or sooner once
`sweep_after_closed` sockets have closed since the last one (a mass disconnect: one full pass, as the collector would
have made, at most every `min_sweep_seconds`). That one full pass is the price of the others not happening.

Used by the server process only (`server.py` enables it); elsewhere (tests, the command line) `note_long_lived` does
nothing.

Memory given back (`trim`): CPython's small objects live in arenas of their own, returned to the system as soon as one
is empty, but everything bigger (dicts of many keys, lists, strings, bytes; the C libraries' buffers) comes from glibc's
malloc, which gives back only the free memory at the very top of its heap. Start-up (the migrations check, building
the schema, the first PDF's fonts) and a burst of connecting sockets leave free holes below that top, resident for
the process's life. `malloc_trim(0)` hands those pages back (the heap's layout is unchanged: its free chunks are
merely advised away, and are paged in again when reused). Measured on the subscribers bench's server A: 167 → 153 MB
after start-up, 202 → 195 MB with 1,000 sockets open; with 5,000 sockets no difference (339 MB either way: the sockets
fill the holes again), and no difference in delivery latency (bench/results/subscribers-5000-wave4.txt). Each freeze
and sweep trims, as does the end of start-up (`server.py`): at most one call a second while sockets open. Not glibc
(musl, macOS): nothing to trim.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import time
from collections.abc import Callable

# Sockets open in bursts (a deploy, a network blip): one freeze per burst, not per socket.
FREEZE_AFTER_SECONDS = 1.0
# How long reference cycles among frozen objects (a closed socket's) may wait to be collected.
SWEEP_SECONDS = 900.0
# Sooner when this many sockets have closed since the last sweep (~1 MB of cycles), but not more often than this.
SWEEP_AFTER_CLOSED = 1000
MIN_SWEEP_SECONDS = 60.0


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


_MALLOC_TRIM = _malloc_trim()


def trim() -> bool:
    """Give the free pages of glibc's heap back to the system; whether anything was given back."""
    return bool(_MALLOC_TRIM(0)) if _MALLOC_TRIM is not None else False


class HeapKeeper:
    def __init__(
        self,
        *,
        freeze_after_seconds: float = FREEZE_AFTER_SECONDS,
        sweep_seconds: float = SWEEP_SECONDS,
        sweep_after_closed: int = SWEEP_AFTER_CLOSED,
        min_sweep_seconds: float = MIN_SWEEP_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.freeze_after_seconds = freeze_after_seconds
        self.sweep_seconds = sweep_seconds
        self.sweep_after_closed = sweep_after_closed
        self.min_sweep_seconds = min_sweep_seconds
        self._closed = 0  # sockets closed since the last sweep
        self._monotonic = monotonic
        self.enabled = False
        self._freeze_timer: asyncio.TimerHandle | None = None
        self._sweep_timer: asyncio.TimerHandle | None = None
        self._swept_at = monotonic()
        self.freezes = 0
        self.sweeps = 0

    def enable(self) -> None:
        """From now on, long-lived objects are frozen (call once the start-up heap is frozen and the collector on)."""
        self.enabled = True
        self._swept_at = self._monotonic()
        self._closed = 0

    def disable(self) -> None:
        self.enabled = False
        for timer in (self._freeze_timer, self._sweep_timer):
            if timer is not None:
                timer.cancel()
        self._freeze_timer = self._sweep_timer = None

    def note_long_lived(self) -> None:
        """Objects that will live long (a socket's, a subscription's) were just made: freeze them in a moment."""
        if not self.enabled or self._freeze_timer is not None:
            return
        self._freeze_timer = asyncio.get_running_loop().call_later(self.freeze_after_seconds, self.freeze)

    def note_closed(self) -> None:
        """A socket closed: what it leaves in cycles, frozen, waits for the sweep; many of them bring it closer."""
        if not self.enabled:
            return
        self._closed += 1
        if self._closed < self.sweep_after_closed:
            return
        due = max(0.0, self._swept_at + self.min_sweep_seconds - self._monotonic())
        loop = asyncio.get_running_loop()
        if self._sweep_timer is not None:
            if self._sweep_timer.when() <= loop.time() + due:
                return
            self._sweep_timer.cancel()
        self._sweep_timer = loop.call_later(due, self.sweep)

    def freeze(self) -> None:
        """Collect the young generations, then freeze every tracked object (the old generation included)."""
        self._freeze_timer = None
        if not gc.isenabled():  # the collector is off (starting, stopping): nothing to keep out of its passes
            return
        gc.collect(1)  # the young garbage goes first: it must not wait for the sweep
        gc.freeze()
        self.freezes += 1
        trim()  # what the burst of sockets freed on its way (handshakes, parsing, the first events' buffers)
        if self._sweep_timer is None:
            due = max(0.0, self._swept_at + self.sweep_seconds - self._monotonic())
            self._sweep_timer = asyncio.get_running_loop().call_later(due, self.sweep)

    def sweep(self) -> int:
        """One full collection over everything, frozen objects included; returns how many objects it freed."""
        self._sweep_timer = None
        self._swept_at = self._monotonic()
        self._closed = 0
        if not gc.isenabled():
            return 0
        gc.unfreeze()
        try:
            freed = gc.collect()
        finally:
            gc.freeze()
        self.sweeps += 1
        trim()  # what the closed sockets left
        return freed


# The server's one keeper (enabled by server.py).
keeper = HeapKeeper()

"""The cyclic collector and thousands of long-lived websockets (issue 15).

CPython's full collection walks every object it tracks. 5,000 subscribed sockets hold about 1.7 million of them
(coroutines and tasks, strawberry's per-operation state, the broker's queues): measured on the 2-core bench machine,
one full pass took 0.5–3.5 s, and every event in flight waited behind it (delivery p99 over a second, the deliveries
of one event late together). The full passes come each time the long-lived objects grow by a quarter: several while
sockets connect, and again later as sockets come and go.

The server already freezes its start-up heap (server.py). The keeper does the same for what sockets keep: a moment
after sockets open (`note_long_lived`), it collects the young generations and freezes what survived, so that the full
passes walk only what was made since. A frozen object is still freed by reference counting when its socket closes;
only garbage in reference cycles among frozen objects waits, for the sweep: at most every `sweep_seconds`, and only
when something was frozen since the last one, everything is unfrozen, collected once, and frozen again. That one full
pass is the price of the others not happening.

Used by the server process only (`server.py` enables it); elsewhere (tests, the command line) `note_long_lived` does
nothing.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable

# Sockets open in bursts (a deploy, a network blip): one freeze per burst, not per socket.
FREEZE_AFTER_SECONDS = 1.0
# How long reference cycles among frozen objects (a closed socket's, rarely) may wait to be collected.
SWEEP_SECONDS = 900.0


class HeapKeeper:
    def __init__(
        self,
        *,
        freeze_after_seconds: float = FREEZE_AFTER_SECONDS,
        sweep_seconds: float = SWEEP_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.freeze_after_seconds = freeze_after_seconds
        self.sweep_seconds = sweep_seconds
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

    def freeze(self) -> None:
        """Collect the young generations, then freeze every tracked object (the old generation included)."""
        self._freeze_timer = None
        if not gc.isenabled():  # the collector is off (starting, stopping): nothing to keep out of its passes
            return
        gc.collect(1)  # the young garbage goes first: it must not wait for the sweep
        gc.freeze()
        self.freezes += 1
        if self._sweep_timer is None:
            due = max(0.0, self._swept_at + self.sweep_seconds - self._monotonic())
            self._sweep_timer = asyncio.get_running_loop().call_later(due, self.sweep)

    def sweep(self) -> int:
        """One full collection over everything, frozen objects included; returns how many objects it freed."""
        self._sweep_timer = None
        self._swept_at = self._monotonic()
        if not gc.isenabled():
            return 0
        gc.unfreeze()
        try:
            freed = gc.collect()
        finally:
            gc.freeze()
        self.sweeps += 1
        return freed


# The server's one keeper (enabled by server.py).
keeper = HeapKeeper()

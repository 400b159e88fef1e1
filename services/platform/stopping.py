"""Ctrl-C and SIGTERM stop the server with one line, never a traceback.

Two things made a Ctrl-C end in a CancelledError traceback at [error]:
- `uv run` forwards the terminal's SIGINT to the server, which the terminal sent it too: one press arrives twice, and
  uvicorn takes the second for a "force quit" that skips the app's shutdown (its lifespan task is then cancelled);
- uvicorn, once stopped by a signal, raises it again (`Server.capture_signals`), inside `asyncio.run`, which then
  cancels what is left and re-raises the KeyboardInterrupt.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

import structlog
import uvicorn
from uvicorn.server import HANDLED_SIGNALS

# Within this, a second SIGINT is the same press forwarded (uv does it at once); a later one still forces the exit.
SAME_PRESS_SECONDS = 0.5

log = structlog.get_logger("server")


class QuietServer(uvicorn.Server):
    """uvicorn's server, stopping once per press and not raising the signal again once stopped."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.first_signal: tuple[int, float] | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        now = time.monotonic()
        if self.first_signal is None:
            self.first_signal = (sig, now)
        elif now - self.first_signal[1] < SAME_PRESS_SECONDS:
            return
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {number: signal.signal(number, self.handle_exit) for number in HANDLED_SIGNALS}
        try:
            yield
        finally:
            if self.first_signal is not None:  # stopping: a late copy of the press must not interrupt the exit
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                previous.pop(signal.SIGINT, None)
            for number, handler in previous.items():
                signal.signal(number, handler)
        if self.first_signal is not None:
            log.info("stopped", signal=signal.Signals(self.first_signal[0]).name)

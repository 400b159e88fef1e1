"""A Ctrl-C while the server starts (imports, PostgreSQL, migrations): one line, no traceback (stdlib only: it is
installed before anything else is imported). Once uvicorn serves, `stopping.QuietServer` handles the signals."""

from __future__ import annotations

import signal
import sys
from types import FrameType, TracebackType


def _interrupt_once(signum: int, frame: FrameType | None) -> None:
    # `uv run` forwards the terminal's SIGINT, which the terminal sent this process too: one press arrives twice, and
    # the copy must not interrupt the exit (the embedded PostgreSQL is left at exit, see embedded.py).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _report(kind: type[BaseException], error: BaseException, traceback: TracebackType | None) -> None:
    if not issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    import structlog

    # Python then exits as interrupted (status 130 in a shell), as it would with a traceback.
    structlog.get_logger("server").info("stopped while starting", signal="SIGINT")


def quiet_interrupts() -> None:
    signal.signal(signal.SIGINT, _interrupt_once)
    sys.excepthook = _report

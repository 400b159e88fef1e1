"""PostgreSQL LISTEN on a dedicated connection: wakes a background job when a transaction that concerns it commits.

PostgreSQL delivers a NOTIFY only on commit, to every connection listening on its channel, in every process: a job
woken by one needs no short poll. The connection is the listener's own (a pooled one would be handed to others):
when PostgreSQL goes away it reconnects with a growing pause, and while it is not listening (`live` is false) its job
falls back to polling. Each (re)connection wakes the job once, for whatever was committed while nobody listened.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
import structlog

log = structlog.get_logger("listener")

RETRY_FIRST_SECONDS = 0.2
RETRY_MAX_SECONDS = 5.0
APPLICATION_NAME = "lk-listen"


class PostgresListener:
    """Listens on `channel`; `wait(timeout)` returns at the first notification (or reconnection) since `clear()`."""

    def __init__(self, dsn: str, channel: str) -> None:
        self.dsn = dsn
        self.channel = channel
        self._notified = asyncio.Event()
        self._connection: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def live(self) -> bool:
        """Whether notifications reach this listener now."""
        return self._connection is not None and not self._connection.is_closed()

    @property
    def backend_pid(self) -> int | None:
        """The PostgreSQL backend listening now (to end it in tests)."""
        return self._connection.get_server_pid() if self.live and self._connection is not None else None

    async def start(self) -> None:
        """Start listening in the background (returns at once: PostgreSQL may be away)."""
        if self._task is None:
            self._task = asyncio.create_task(self._listen_forever(), name=f"listen:{self.channel}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def woken(self) -> bool:
        """Whether a notification (or a reconnection) came since the last `clear()`."""
        return self._notified.is_set()

    def clear(self) -> None:
        self._notified.clear()

    async def wait(self, timeout: float) -> None:
        """Return when notified since the last `clear()`, or after `timeout` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._notified.wait(), timeout=timeout)

    def _on_notification(self, *_: Any) -> None:
        self._notified.set()

    async def _listen_forever(self) -> None:
        pause = RETRY_FIRST_SECONDS
        outage = False
        while True:
            lost = asyncio.Event()
            try:
                connection = await asyncpg.connect(self.dsn, server_settings={"application_name": APPLICATION_NAME})
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
                if not outage:
                    log.warning(
                        "not listening: PostgreSQL unreachable, polling", channel=self.channel, error=str(error)
                    )
                    outage = True
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_SECONDS)
                continue
            try:
                connection.add_termination_listener(lambda _, ended=lost: ended.set())
                await connection.add_listener(self.channel, self._on_notification)
                self._connection = connection
                if outage:
                    log.info("listening again", channel=self.channel)
                outage = False
                pause = RETRY_FIRST_SECONDS
                self._notified.set()  # what was committed while nobody listened is looked at now
                await lost.wait()
                log.warning("not listening: connection lost, reconnecting", channel=self.channel)
                outage = True
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                if not outage:
                    log.warning("not listening: LISTEN failed, polling", channel=self.channel, error=str(error))
                    outage = True
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_SECONDS)
            finally:
                self._connection = None
                connection.terminate()

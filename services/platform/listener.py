"""PostgreSQL LISTEN on a dedicated connection: wakes a background job when a transaction that concerns it commits.

PostgreSQL delivers a NOTIFY only on commit, to every connection listening on its channel, in every process: a job
woken by one needs no short poll. The connection is the listener's own (a pooled one would be handed to others):
when PostgreSQL goes away it reconnects with a growing pause, and while it is not listening (`live` is false) its job
falls back to polling. Each (re)connection wakes the job once, for whatever was committed while nobody listened.

The jobs of one process share one such connection (`shared_listener`, a `NotificationHub` per runtime): each job's
`PostgresListener` is woken by its own channel only.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

import asyncpg
import structlog

from services.platform.runtime import Runtime

log = structlog.get_logger("listener")

RETRY_FIRST_SECONDS = 0.2
RETRY_MAX_SECONDS = 5.0
APPLICATION_NAME = "lk-listen"


class NotificationHub:
    """One listening connection for several channels; runs while at least one `PostgresListener` is attached."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._by_channel: dict[str, set[PostgresListener]] = {}
        self._connection: asyncpg.Connection | None = None
        self._listening_on: set[str] = set()  # the channels LISTENed on by the current connection
        self._lock = asyncio.Lock()  # LISTENs on the connection, one at a time
        self._task: asyncio.Task[None] | None = None

    @property
    def live(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    @property
    def backend_pid(self) -> int | None:
        return self._connection.get_server_pid() if self.live and self._connection is not None else None

    async def attach(self, listener: PostgresListener) -> None:
        self._by_channel.setdefault(listener.channel, set()).add(listener)
        if self._task is None:
            self._task = asyncio.create_task(self._listen_forever(), name="listen")
            return
        if self.live:
            await self._listen_on_all()
            listener.notify()  # as on a (re)connection: what was committed before it listened is looked at

    async def detach(self, listener: PostgresListener) -> None:
        listeners = self._by_channel.get(listener.channel)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._by_channel[listener.channel]
        if self._by_channel:
            return
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _listen_on_all(self) -> None:
        async with self._lock:
            connection = self._connection
            if connection is None:
                return
            for channel in list(self._by_channel):
                if channel not in self._listening_on:
                    await connection.add_listener(channel, self._on_notification)
                    self._listening_on.add(channel)

    def _on_notification(self, _connection: Any, _pid: int, channel: str, _payload: str) -> None:
        for listener in self._by_channel.get(channel, ()):
            listener.notify()

    def _names(self) -> str:
        return ", ".join(sorted(self._by_channel))

    def _wake_all(self) -> None:
        for listeners in self._by_channel.values():
            for listener in listeners:
                listener.notify()

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
                        "not listening: PostgreSQL unreachable, polling", channel=self._names(), error=str(error)
                    )
                    outage = True
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_SECONDS)
                continue
            try:
                connection.add_termination_listener(lambda _, ended=lost: ended.set())
                self._connection, self._listening_on = connection, set()
                await self._listen_on_all()
                if outage:
                    log.info("listening again", channel=self._names())
                outage = False
                pause = RETRY_FIRST_SECONDS
                self._wake_all()  # what was committed while nobody listened is looked at now
                await lost.wait()
                log.warning("not listening: connection lost, reconnecting", channel=self._names())
                outage = True
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                if not outage:
                    log.warning("not listening: LISTEN failed, polling", channel=self._names(), error=str(error))
                    outage = True
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_SECONDS)
            finally:
                self._connection = None
                connection.terminate()


class PostgresListener:
    """Listens on `channel`; `wait(timeout)` returns at the first notification (or reconnection) since `clear()`.

    On a connection of its own, or on `hub`'s, shared with the other jobs of the process."""

    def __init__(self, dsn: str, channel: str, *, hub: NotificationHub | None = None) -> None:
        self.dsn = dsn
        self.channel = channel
        self._hub = hub if hub is not None else NotificationHub(dsn)
        self._notified = asyncio.Event()
        self._attached = False

    @property
    def live(self) -> bool:
        """Whether notifications reach this listener now."""
        return self._attached and self._hub.live

    @property
    def backend_pid(self) -> int | None:
        """The PostgreSQL backend listening now (to end it in tests)."""
        return self._hub.backend_pid if self._attached else None

    async def start(self) -> None:
        """Start listening in the background (returns at once: PostgreSQL may be away)."""
        if not self._attached:
            self._attached = True
            await self._hub.attach(self)

    async def stop(self) -> None:
        if self._attached:
            self._attached = False
            await self._hub.detach(self)

    @property
    def woken(self) -> bool:
        """Whether a notification (or a reconnection) came since the last `clear()`."""
        return self._notified.is_set()

    def notify(self) -> None:
        self._notified.set()

    def clear(self) -> None:
        self._notified.clear()

    async def wait(self, timeout: float) -> None:
        """Return when notified since the last `clear()`, or after `timeout` seconds."""
        # Not `asyncio.wait_for`: on Python 3.11 it swallows a cancellation that meets a notification, and the job
        # waiting here then ran on after its process's shutdown had cancelled it (the shutdown hung).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._notified.wait()


_hubs: weakref.WeakKeyDictionary[Runtime, NotificationHub] = weakref.WeakKeyDictionary()


def shared_listener(runtime: Runtime, channel: str) -> PostgresListener:
    """A job's wake on `channel`, on the one listening connection of `runtime`'s process."""
    hub = _hubs.get(runtime)
    if hub is None:
        dsn = runtime.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        hub = _hubs[runtime] = NotificationHub(dsn)
    return PostgresListener(hub.dsn, channel, hub=hub)

"""Event brokers: in-process by default, Redis pub/sub when REDIS_URL is set.

Each process keeps one `LocalFanout` that hands events to its subscribers by channel. The in-process broker feeds it
directly; the Redis broker publishes to one Redis channel and every process's reader feeds its own fanout. The broker
is a live path only: the outbox table is the record, so whatever live delivery drops is replayed from there.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Collection
from typing import Any, Protocol

import structlog

from services.events.envelope import GAP, Event, Gap
from services.platform.runtime import Runtime

log = structlog.get_logger("broker")

QUEUE_LIMIT = 1000


class LiveSubscription:
    """What one subscriber receives: events on its channels, or GAP when some may have been dropped.

    Not an `asyncio.Queue` (issue 15: memory per socket): a queue holds four deques and an event, about 3 KB, for each
    of 5,000 idle subscribers. Here an idle subscriber holds one future while it waits; its deque exists only while
    events wait for it.
    """

    __slots__ = ("_items", "_overflowed", "_waiter", "channels")

    def __init__(self, channels: Collection[str]) -> None:
        self.channels = frozenset(channels)
        self._items: deque[Event | Gap] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._overflowed = False

    def offer(self, item: Event | Gap) -> None:
        if self._overflowed:
            return
        items = self._items
        if items is None:
            items = self._items = deque()
        if len(items) >= QUEUE_LIMIT:
            # A subscriber this far behind re-reads from the outbox instead of holding memory.
            self._overflowed = True
        else:
            items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Event | Gap:
        """The next item, oldest first; GAP once those kept before an overflow are taken."""
        while True:
            items = self._items
            if items:
                item = items.popleft()
                if not items:
                    self._items = None
                return item
            if self._overflowed:
                self._overflowed = False
                return GAP
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None


class LocalFanout:
    def __init__(self) -> None:
        self._by_channel: dict[str, set[LiveSubscription]] = {}
        # The newest publishing position this process has seen, while it has seen every event since learning it
        # (every event reaches every process's fanout); None when unknown, e.g. after a GAP. A subscriber that starts
        # live takes it as "now" instead of asking the outbox (issue 15: no statement per subscription).
        self.high_water: int | None = None
        self.gaps = 0  # GAPs signalled so far: a position read from the outbox across one is not noted

    def note_position(self, position: int, *, gaps: int) -> None:
        """Learn "now" (read from the outbox when `gaps` GAPs had been signalled) while nothing newer was seen."""
        if gaps == self.gaps and (self.high_water is None or position > self.high_water):
            self.high_water = position

    def add(self, subscription: LiveSubscription) -> None:
        for channel in subscription.channels:
            self._by_channel.setdefault(channel, set()).add(subscription)

    def remove(self, subscription: LiveSubscription) -> None:
        for channel in subscription.channels:
            subscribers = self._by_channel.get(channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._by_channel[channel]

    def deliver(self, event: Event) -> None:
        if self.high_water is not None and event.position > self.high_water:
            self.high_water = event.position
        receivers: set[LiveSubscription] = set()
        for channel in event.channels:
            receivers |= self._by_channel.get(channel, set())
        for subscription in receivers:
            subscription.offer(event)

    def signal_gap(self) -> None:
        self.high_water = None  # events may have been missed: "now" is read from the outbox again
        self.gaps += 1
        for subscription in {s for group in self._by_channel.values() for s in group}:
            subscription.offer(GAP)

    @property
    def subscriber_count(self) -> int:
        return len({s for group in self._by_channel.values() for s in group})


class Broker(Protocol):
    fanout: LocalFanout

    @property
    def live(self) -> bool:
        """Whether events published now reach this process's subscribers (else they will get a GAP later)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, events: list[Event]) -> None:
        """Deliver to every process's subscribers; raises when the events could not be handed over."""
        ...

    def subscribe(self, channels: Collection[str]) -> contextlib.AbstractAsyncContextManager[LiveSubscription]: ...


class _Subscribing:
    """`broker.subscribe(channels)`: the subscription is in the fanout while the block runs.

    A class, not `contextlib.asynccontextmanager`: that keeps an async generator, its frame and its context manager
    for as long as the block runs, which for a subscriber is its socket's life (issue 15: memory per socket)."""

    __slots__ = ("_channels", "_fanout", "_subscription")

    def __init__(self, fanout: LocalFanout, channels: Collection[str]) -> None:
        self._fanout = fanout
        self._channels: Collection[str] | None = channels
        self._subscription: LiveSubscription | None = None

    async def __aenter__(self) -> LiveSubscription:
        assert self._channels is not None, "entered once"
        subscription = self._subscription = LiveSubscription(self._channels)
        self._channels = None
        self._fanout.add(subscription)
        return subscription

    async def __aexit__(self, *exc_info: object) -> None:
        if self._subscription is not None:
            self._fanout.remove(self._subscription)
            self._subscription = None


class _SubscribeMixin:
    fanout: LocalFanout

    def subscribe(self, channels: Collection[str]) -> contextlib.AbstractAsyncContextManager[LiveSubscription]:
        return _Subscribing(self.fanout, channels)


class InProcessBroker(_SubscribeMixin):
    """For one process: the relay in this process delivers straight to this process's subscribers."""

    def __init__(self) -> None:
        self.fanout = LocalFanout()

    @property
    def live(self) -> bool:
        return True

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, events: list[Event]) -> None:
        for event in events:
            self.fanout.deliver(event)


def make_broker(redis: Any | None) -> Broker:
    """The process's broker (`Runtime.broker`): Redis pub/sub when Redis is configured, else in-process."""
    return RedisBroker(redis, channel=events_channel(redis)) if redis is not None else InProcessBroker()


def events_channel(redis: Any) -> str:
    """The pub/sub channel of the deployment using this Redis database. Pub/sub channels are shared by every
    database of a Redis server: deployments on other database numbers (a staging next to production, several
    checkouts on one machine) must not hear each other's events, whose positions belong to another outbox."""
    db = int(redis.connection_pool.connection_kwargs.get("db", 0))
    return "lk:events" if db == 0 else f"lk:events:{db}"


async def start_broker(runtime: Runtime) -> None:
    """A start-up hook: the broker listens before the process serves (`Runtime.broker`)."""
    await runtime.broker.start()


async def stop_broker(runtime: Runtime) -> None:
    await runtime.broker.stop()


class RedisBroker(_SubscribeMixin):
    """Across processes: one Redis pub/sub channel; each process filters for its own subscribers."""

    RECONNECT_DELAY = 0.5

    def __init__(self, redis: Any, *, channel: str = "lk:events") -> None:
        self.redis = redis
        self.channel = channel
        self.fanout = LocalFanout()
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._connected = False

    @property
    def live(self) -> bool:
        return self._connected

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read_forever(), name="redis-broker-reader")
        # Wait (briefly) for the first subscription, so that events published right after start are not missed.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=5)

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def publish(self, events: list[Event]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.publish(self.channel, event.to_json())
            await pipe.execute()

    async def _read_forever(self) -> None:
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._connected = True
                self._ready.set()
                # Whatever was published before this subscription took (a reconnect, or a first connection that
                # came late) is in the outbox: subscribers re-read it.
                self.fanout.signal_gap()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self.fanout.deliver(Event.from_json(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - a lost Redis connection is retried forever
                log.warning("redis broker reconnecting", error=str(error) or type(error).__name__)
                await asyncio.sleep(self.RECONNECT_DELAY)
            finally:
                self._connected = False
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

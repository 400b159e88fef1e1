"""Connects the event path of a process: a broker in `runtime.extras["broker"]` and the relay job."""

from __future__ import annotations

from services.events.broker import Broker, InProcessBroker, RedisBroker
from services.events.relay import relay_once
from services.platform.background import JOBS, SHUTDOWN_HOOKS, STARTUP_HOOKS, Job
from services.platform.runtime import Runtime


def make_broker(runtime: Runtime) -> Broker:
    if runtime.redis is not None:
        return RedisBroker(runtime.redis)
    return InProcessBroker()


async def start_broker(runtime: Runtime) -> None:
    if "broker" not in runtime.extras:
        broker = make_broker(runtime)
        await broker.start()
        runtime.extras["broker"] = broker


async def stop_broker(runtime: Runtime) -> None:
    broker = runtime.extras.pop("broker", None)
    if broker is not None:
        await broker.stop()


STARTUP_HOOKS.append(start_broker)
SHUTDOWN_HOOKS.append(stop_broker)
# Polls a partial index (cheap) every 100 ms when idle: replies reach subscribers well within a second.
JOBS.append(Job(name="outbox-relay", run_once=relay_once, idle_seconds=0.1))

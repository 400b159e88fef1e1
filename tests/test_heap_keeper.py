"""The heap keeper (services/platform/heap.py, issue 15): what subscribed sockets keep is frozen a moment after they
open, out of the collector's full passes; reference cycles among frozen objects are still collected by the sweep."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from services.platform.heap import HeapKeeper
from services.platform.heap import keeper as server_keeper
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for

SUBSCRIPTION = "subscription { readingStatusChanged { eventId } }"


class Held:
    """A tracked object that can be pointed at weakly."""

    def __init__(self) -> None:
        self.other: Held | None = None


@pytest.fixture
def collector() -> Iterator[None]:
    """The collector on, and nothing left frozen by the test."""
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        gc.unfreeze()
        if not was_enabled:
            gc.disable()


def _tracked(obj: object) -> bool:
    """Whether the collector's passes (any generation, not the frozen one) would walk `obj`."""
    return any(each is obj for each in gc.get_objects())


@pytest.mark.usefixtures("collector")
async def test_objects_made_before_a_note_are_frozen_a_moment_later() -> None:
    keeper = HeapKeeper(freeze_after_seconds=0.01, sweep_seconds=3600)
    keeper.enable()
    try:
        held = Held()
        assert _tracked(held)
        keeper.note_long_lived()
        keeper.note_long_lived()  # a burst: one freeze
        await asyncio.sleep(0.1)
        assert keeper.freezes == 1
        assert not _tracked(held)  # out of the full passes
    finally:
        keeper.disable()


@pytest.mark.usefixtures("collector")
async def test_a_disabled_keeper_freezes_nothing() -> None:
    keeper = HeapKeeper(freeze_after_seconds=0.01)
    held = Held()
    keeper.note_long_lived()
    await asyncio.sleep(0.05)
    assert keeper.freezes == 0
    assert _tracked(held)


@pytest.mark.usefixtures("collector")
async def test_a_frozen_object_is_still_freed_when_its_last_reference_goes() -> None:
    keeper = HeapKeeper(freeze_after_seconds=0.0, sweep_seconds=3600)
    keeper.enable()
    try:
        held = Held()
        gone = weakref.ref(held)
        keeper.freeze()
        del held
        assert gone() is None
    finally:
        keeper.disable()


@pytest.mark.usefixtures("collector")
async def test_the_sweep_collects_cycles_among_frozen_objects() -> None:
    keeper = HeapKeeper(freeze_after_seconds=0.0, sweep_seconds=0.05)
    keeper.enable()
    try:
        first, second = Held(), Held()
        first.other, second.other = second, first  # a cycle: reference counting alone never frees it
        gone = weakref.ref(first)
        keeper.freeze()  # and the sweep is due 0.05 s later
        del first, second
        gc.collect()
        assert gone() is not None  # frozen: the collector's own passes leave it
        await asyncio.sleep(0.2)
        assert keeper.sweeps == 1
        assert gone() is None
    finally:
        keeper.disable()


async def test_an_acknowledged_socket_and_its_subscription_are_frozen(
    gql: GraphQLClient, runtime: Runtime, collector: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_keeper, "freeze_after_seconds", 0.0)
    monkeypatch.setattr(server_keeper, "sweep_seconds", 3600.0)
    server_keeper.enable()
    try:
        token = await token_for(runtime, await create_customer(runtime.db, now=runtime.clock.now()))
        async with gql.websocket(token=token) as socket:
            await asyncio.sleep(0.05)
            after_ack = server_keeper.freezes
            await socket.subscribe(SUBSCRIPTION)
            await socket.expect_silence(seconds=0.2)
            after_subscribe = server_keeper.freezes
        await asyncio.sleep(0.05)
        closed = server_keeper._closed
    finally:
        server_keeper.disable()
    assert after_ack == 1
    assert after_subscribe == 2
    assert closed == 1  # the socket's close was noted


@pytest.mark.usefixtures("collector")
async def test_many_closed_sockets_bring_the_sweep_closer() -> None:
    keeper = HeapKeeper(freeze_after_seconds=0.0, sweep_seconds=3600, sweep_after_closed=3, min_sweep_seconds=0.0)
    keeper.enable()
    try:
        first, second = Held(), Held()
        first.other, second.other = second, first
        gone = weakref.ref(first)
        keeper.freeze()  # the sweep is an hour away
        del first, second
        keeper.note_closed()
        keeper.note_closed()
        await asyncio.sleep(0.05)
        assert keeper.sweeps == 0  # two closed: not yet
        keeper.note_closed()
        await asyncio.sleep(0.05)
        assert keeper.sweeps == 1
        assert gone() is None
    finally:
        keeper.disable()

"""The subscribers of one event share its reads (issue 15): ten sockets building the same event cost one statement,
not ten; another event, or the same one built a while later, reads afresh."""

from __future__ import annotations

import asyncio

import pytest

from loaders.appeals import AppealById
from schema.core import live
from schema.core.live import event_loaders
from services.platform.database import TransactionalDatabase, count_statements
from services.platform.runtime import Runtime
from tests.support.appeals import open_appeal
from tests.support.factories import create_account, create_customer

SUBSCRIBERS = 10


async def test_the_subscribers_of_one_event_read_its_rows_once(db: TransactionalDatabase, runtime: Runtime) -> None:
    # given: an appeal, and ten subscribers building event 42 about it at once, then one more a moment later
    now = runtime.clock.now()
    customer = await create_customer(db, now=now)
    account, _ = await create_account(db, now=now, owner=customer)
    appeal_id = (await open_appeal(runtime, customer, account)).appeal.id
    assert appeal_id is not None

    # when
    async with count_statements() as together:
        rows = await asyncio.gather(
            *(event_loaders(db, 42).get(AppealById).load(appeal_id) for _ in range(SUBSCRIBERS))
        )
    async with count_statements() as later:
        late = await event_loaders(db, 42).get(AppealById).load(appeal_id)
    async with count_statements() as other:
        await event_loaders(db, 43).get(AppealById).load(appeal_id)

    # then: one statement for the ten, none for the late one, one for another event
    assert [row.id for row in rows] == [appeal_id] * SUBSCRIBERS
    assert late.id == appeal_id
    assert together[0] == 1
    assert later[0] == 0
    assert other[0] == 1


async def test_an_event_built_after_the_sharing_moment_reads_afresh(
    db: TransactionalDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the event's loaders are shared for no time at all
    first = event_loaders(db, 7)
    monkeypatch.setattr(live, "SHARE_SECONDS", 0.0)

    # when: the event is built again
    again = event_loaders(db, 7)

    # then: with loaders of its own
    assert again is not first

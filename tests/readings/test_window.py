"""The submission window (days 15-25, local time): a reading sent inside it or before it counts toward this month
(its bill is not closed yet), one sent after it toward the next; outside the window the answer says which month."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.platform.clock import LOCAL_TZ, FrozenClock
from services.platform.runtime import Runtime
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.readings import SUBMIT, submit_input


@pytest.mark.parametrize(
    ("local_time", "expected"),
    [
        (datetime(2026, 11, 10, 12, 0), ("2026-11-01", False)),  # before the window: this month's bill
        (datetime(2026, 12, 2, 10, 0), ("2026-12-01", False)),  # 2 December counts toward December, not January
        (datetime(2026, 12, 1, 0, 0), ("2026-12-01", False)),
        (datetime(2026, 11, 15, 0, 0), ("2026-11-01", True)),
        (datetime(2026, 11, 20, 12, 0), ("2026-11-01", True)),
        (datetime(2026, 11, 25, 23, 59), ("2026-11-01", True)),
        (datetime(2026, 11, 26, 0, 0), ("2026-12-01", False)),
        (datetime(2025, 12, 31, 23, 59), ("2026-01-01", False)),
    ],
)
async def test_the_period_depends_on_the_local_day(
    runtime: Runtime, gql: GraphQLClient, clock: FrozenClock, local_time: datetime, expected: tuple[str, bool]
) -> None:
    # given
    clock.set(local_time.replace(tzinfo=LOCAL_TZ))
    owner = await create_customer(runtime.db, now=clock.now())
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner)
    customer = gql.as_token(await token_for(runtime, owner))

    # when
    data = await customer.execute(SUBMIT, submit_input(meter, {"SINGLE": "100"}))

    # then
    payload = data["submitReadings"]
    assert (payload["submission"]["period"], payload["notice"] is None) == expected


async def test_outside_the_window_the_notice_names_the_month(
    runtime: Runtime, gql: GraphQLClient, clock: FrozenClock
) -> None:
    owner = await create_customer(runtime.db, now=clock.now())
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner)
    customer = gql.as_token(await token_for(runtime, owner))

    data = await customer.execute(SUBMIT, submit_input(meter, {"SINGLE": "100"}))

    assert data["submitReadings"]["notice"] == (
        "Показания принимаются с 15 по 25 число месяца; переданные сейчас будут учтены в расчёте за декабрь 2026 года"
    )


async def test_the_window_is_configurable(runtime: Runtime, gql: GraphQLClient, clock: FrozenClock) -> None:
    # given: the clock stands on the 26th, outside the default window
    runtime.settings.readings_window_end_day = 28
    owner = await create_customer(runtime.db, now=clock.now())
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner)
    customer = gql.as_token(await token_for(runtime, owner))

    # when
    data = await customer.execute(SUBMIT, submit_input(meter, {"SINGLE": "100"}))

    # then
    assert data["submitReadings"]["submission"]["period"] == "2026-11-01"

"""readingStatusChanged over a real websocket: RECEIVED → PROCESSED, resuming after the last eventId, and nothing
for other customers.

The test app runs no background jobs: each test runs the processor and publishes with `relay_once` itself.
Subscriptions start from the outbox's current end (`after`), so nothing depends on when the server subscribes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from models import Meter, PersonalAccount
from services.events.relay import relay_once
from services.events.stream import latest_position
from services.platform.runtime import Runtime
from services.readings.processing import process_received
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import global_id
from tests.support.readings import STATUS_CHANGED, SUBMIT, submit_input, subscription_error


@dataclass
class Household:
    account: PersonalAccount
    meter: Meter
    token: str
    gql: GraphQLClient


async def household(runtime: Runtime, gql: GraphQLClient) -> Household:
    now = runtime.clock.now()
    owner = await create_customer(runtime.db, now=now)
    account, meter = await create_account(runtime.db, now=now, owner=owner)
    token = await token_for(runtime, owner)
    return Household(account=account, meter=meter, token=token, gql=gql.as_token(token))


@pytest.fixture
async def owner(runtime: Runtime, gql: GraphQLClient) -> Household:
    return await household(runtime, gql)


async def now_position(runtime: Runtime) -> str:
    await relay_once(runtime)
    return str(await latest_position(runtime.db))


async def submit(home: Household, value: str = "120") -> str:
    data = await home.gql.execute(SUBMIT, submit_input(home.meter, {"SINGLE": value}))
    submission_id: str = data["submitReadings"]["submission"]["id"]
    return submission_id


async def test_the_customer_receives_received_then_processed(
    owner: Household, runtime: Runtime, gql: GraphQLClient
) -> None:
    after = await now_position(runtime)
    async with gql.websocket(token=owner.token) as socket:
        await socket.subscribe(STATUS_CHANGED, {"after": after})

        submission_id = await submit(owner)
        await relay_once(runtime)
        received = (await socket.next_data())["readingStatusChanged"]
        await process_received(runtime)
        await relay_once(runtime)
        processed = (await socket.next_data())["readingStatusChanged"]

    assert (received["oldStatus"], received["newStatus"], received["submission"]["id"]) == (
        None,
        "RECEIVED",
        submission_id,
    )
    assert (processed["oldStatus"], processed["newStatus"]) == ("RECEIVED", "PROCESSED")
    assert processed["submission"]["status"] == "PROCESSED"
    assert processed["submission"]["values"] == [{"zone": "SINGLE", "value": 120}]
    assert int(processed["eventId"]) > int(received["eventId"])


async def test_a_subscription_to_one_account_receives_its_changes(
    owner: Household, runtime: Runtime, gql: GraphQLClient
) -> None:
    after = await now_position(runtime)
    async with gql.websocket(token=owner.token) as socket:
        await socket.subscribe(
            STATUS_CHANGED, {"accountId": global_id("PersonalAccount", owner.account.id), "after": after}
        )
        await submit(owner)
        await relay_once(runtime)
        change = (await socket.next_data())["readingStatusChanged"]

    assert change["newStatus"] == "RECEIVED"


async def test_a_resubscription_with_the_last_event_id_receives_the_missed_change(
    owner: Household, runtime: Runtime, gql: GraphQLClient
) -> None:
    # given: the customer saw RECEIVED, then lost the connection
    after = await now_position(runtime)
    async with gql.websocket(token=owner.token) as socket:
        await socket.subscribe(STATUS_CHANGED, {"after": after})
        await submit(owner)
        await relay_once(runtime)
        last_seen = (await socket.next_data())["readingStatusChanged"]["eventId"]

    # when: it was processed meanwhile, and the customer comes back
    await process_received(runtime)
    await relay_once(runtime)
    async with gql.websocket(token=owner.token) as socket:
        await socket.subscribe(STATUS_CHANGED, {"after": last_seen})
        missed = (await socket.next_data())["readingStatusChanged"]
        await socket.expect_silence(seconds=0.2)

    # then
    assert (missed["oldStatus"], missed["newStatus"]) == ("RECEIVED", "PROCESSED")


async def test_another_customer_receives_nothing(owner: Household, runtime: Runtime, gql: GraphQLClient) -> None:
    # given
    stranger = await household(runtime, gql)
    after = await now_position(runtime)

    async with gql.websocket(token=stranger.token) as strangers, gql.websocket(token=owner.token) as owners:
        await strangers.subscribe(STATUS_CHANGED, {"after": after})
        await owners.subscribe(STATUS_CHANGED, {"after": after})

        # when
        await submit(owner)
        await process_received(runtime)
        await relay_once(runtime)

        # then: the owner receives both changes, the stranger nothing
        assert (await owners.next_data())["readingStatusChanged"]["newStatus"] == "RECEIVED"
        assert (await owners.next_data())["readingStatusChanged"]["newStatus"] == "PROCESSED"
        await strangers.expect_silence(seconds=0.3)


async def test_another_customers_account_answers_like_a_missing_one(
    owner: Household, runtime: Runtime, gql: GraphQLClient
) -> None:
    stranger = await household(runtime, gql)

    async def first_error(account_gid: str) -> dict[str, object]:
        async with gql.websocket(token=stranger.token) as socket:
            await socket.subscribe(STATUS_CHANGED, {"accountId": account_gid})
            return await subscription_error(socket)

    foreign = await first_error(global_id("PersonalAccount", owner.account.id))
    missing = await first_error(global_id("PersonalAccount", 987_654_321))

    assert foreign == missing == {"message": "Лицевой счёт не найден", "code": "NOT_FOUND"}


async def test_an_anonymous_subscriber_is_refused(gql: GraphQLClient) -> None:
    async with gql.websocket() as socket:
        await socket.subscribe(STATUS_CHANGED)
        error = await subscription_error(socket)

    assert error["code"] == "UNAUTHENTICATED"

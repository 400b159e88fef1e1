"""Meters on a contract's delivery point: the contract's customers send readings and hear about them."""

from __future__ import annotations

import sqlalchemy as sa

from services.events.relay import relay_once
from services.events.stream import latest_position
from services.platform.clock import FrozenClock
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.cabinet import create_cabinet_contract
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.readings import PREVIEW, STATUS_CHANGED, SUBMIT, error_codes, meter_gid, submit_input


async def test_a_contracts_customer_sends_readings_and_hears_back(
    runtime: Runtime, gql: GraphQLClient, clock: FrozenClock
) -> None:
    # given
    owner = await create_customer(runtime.db, now=clock.now())
    supply = await create_cabinet_contract(runtime.db, now=clock.now(), owner=owner, months=3)
    token = await token_for(runtime, owner)
    customer = gql.as_token(token)
    preview = await customer.execute(
        PREVIEW, {"meterId": meter_gid(supply.meter), "values": [{"zone": "SINGLE", "value": "0"}]}
    )
    previous = preview["readingPreview"]["zones"][0]["previousValue"]
    await relay_once(runtime)
    after = str(await latest_position(runtime.db))

    async with gql.websocket(token=token) as socket:
        await socket.subscribe(STATUS_CHANGED, {"after": after})

        # when
        data = await customer.execute(SUBMIT, submit_input(supply.meter, {"SINGLE": str(previous + 500)}))
        await relay_once(runtime)
        change = (await socket.next_data())["readingStatusChanged"]

    # then
    assert data["submitReadings"]["submission"]["values"][0]["consumption"] == 500
    assert change["newStatus"] == "RECEIVED"
    async with runtime.db.session() as session:
        channels = (
            await run(session, sa.text("SELECT channels FROM outbox_event ORDER BY id DESC LIMIT 1"))
        ).scalar_one()
    assert channels == [f"contract:{supply.id}"]


async def test_a_customer_without_the_contract_cannot_send(
    runtime: Runtime, gql: GraphQLClient, clock: FrozenClock
) -> None:
    supply = await create_cabinet_contract(runtime.db, now=clock.now(), months=3)
    stranger = await create_customer(runtime.db, now=clock.now())

    data = await gql.as_token(await token_for(runtime, stranger)).execute(
        SUBMIT, submit_input(supply.meter, {"SINGLE": "9999999"})
    )

    assert error_codes(data["submitReadings"]) == ["METER_NOT_FOUND"]

"""paymentStatusChanged over a real websocket: the owner learns the provider's result; others cannot listen."""

from __future__ import annotations

import httpx

from services.events.relay import relay_once
from services.events.stream import latest_position
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import global_id
from tests.support.payments import START, create_indebted_account, send_callback, start_input
from tests.support.readings import subscription_error

STATUS_CHANGED = """
subscription ($accountId: ID!, $after: String) {
  paymentStatusChanged(accountId: $accountId, after: $after) {
    eventId oldStatus newStatus payment { id status paidAt }
  }
}"""


async def test_the_owner_receives_the_confirmed_payment(
    runtime: Runtime, gql: GraphQLClient, app_client: httpx.AsyncClient
) -> None:
    # given: a started SBP payment, and the owner listening
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    account = await create_indebted_account(runtime, owner=customer)
    token = await token_for(runtime, customer)
    started = (await gql.as_token(token).execute(START, start_input(account)))["startPayment"]
    await relay_once(runtime)
    after = str(await latest_position(runtime.db))
    provider_id = started["confirmationUrl"].removeprefix("https://qr.nspk.ru/").split("?")[0]

    async with gql.websocket(token=token) as socket:
        await socket.subscribe(STATUS_CHANGED, {"accountId": global_id("PersonalAccount", account.id), "after": after})
        # when: the provider confirms
        body = {"callbackId": "cb-1", "paymentId": provider_id, "status": "SUCCEEDED", "paidAt": "2026-11-20T10:15:00Z"}
        assert (await send_callback(app_client, runtime, body)).status_code == 200
        await relay_once(runtime)
        change = (await socket.next_data())["paymentStatusChanged"]

    # then
    assert (change["oldStatus"], change["newStatus"]) == ("PENDING", "SUCCEEDED")
    assert change["payment"]["id"] == started["payment"]["id"]
    assert change["payment"]["status"] == "SUCCEEDED"


async def test_another_customers_account_answers_like_a_missing_one(runtime: Runtime, gql: GraphQLClient) -> None:
    now = runtime.clock.now()
    account = await create_indebted_account(runtime, owner=await create_customer(runtime.db, now=now))
    stranger = await token_for(runtime, await create_customer(runtime.db, now=now))

    async def first_error(account_gid: str) -> dict[str, object]:
        async with gql.websocket(token=stranger) as socket:
            await socket.subscribe(STATUS_CHANGED, {"accountId": account_gid})
            return await subscription_error(socket)

    foreign = await first_error(global_id("PersonalAccount", account.id))
    missing = await first_error(global_id("PersonalAccount", 987_654_321))

    assert foreign == missing == {"message": "Лицевой счёт не найден", "code": "NOT_FOUND"}

"""Appeals pushed live over a real `graphql-transport-ws` websocket of the ASGI app.

The test app runs no background jobs, so each test publishes committed events with `relay_once` (the server does it
every 100 ms); a reply must then arrive within a second.
"""

from __future__ import annotations

import pytest

from services.events.relay import relay_once
from services.platform.runtime import Runtime
from tests.support.appeals import (
    CREATE_APPEAL,
    INBOX_CHANGED,
    MESSAGE_ADDED,
    POST_MESSAGE,
    Conversation,
    appeal_gid,
    conversation_people,
    open_appeal,
    reply,
)
from tests.support.graphql import GraphQLClient
from tests.support.objects import global_id


@pytest.fixture
async def people(runtime: Runtime) -> Conversation:
    return await conversation_people(runtime)


async def test_an_operator_reply_reaches_the_customer_within_a_second(
    runtime: Runtime, gql: GraphQLClient, people: Conversation
) -> None:
    posted = await open_appeal(runtime, people.customer, people.account)
    appeal_id = appeal_gid(posted.appeal.id)
    await relay_once(runtime)  # the opening message is old news to a new subscriber

    async with gql.websocket(token=people.customer_token) as socket:
        await socket.subscribe(MESSAGE_ADDED, {"appealId": appeal_id})
        await socket.expect_silence(seconds=0.2)  # subscribed, and nothing old is replayed without `after`
        answer = await gql.as_token(people.operator_token).execute(
            POST_MESSAGE, {"input": {"appealId": appeal_id, "text": "Здравствуйте! Проверим."}}
        )
        await relay_once(runtime)
        pushed = (await socket.next_data(timeout=1))["appealMessageAdded"]

    assert pushed["message"]["id"] == answer["postAppealMessage"]["message"]["id"]
    assert (pushed["message"]["text"], pushed["message"]["isMine"]) == ("Здравствуйте! Проверим.", False)
    assert (pushed["appeal"]["status"], pushed["appeal"]["unreadCount"]) == ("ANSWERED", 1)
    assert pushed["eventId"].isdigit()


async def test_without_an_appeal_the_customer_follows_all_their_appeals_and_sees_their_own_messages(
    runtime: Runtime, gql: GraphQLClient, people: Conversation
) -> None:
    first = await open_appeal(runtime, people.customer, people.account, "Первое")
    second = await open_appeal(runtime, people.customer, people.account, "Второе")
    assert first.appeal.id is not None
    assert second.appeal.id is not None
    await relay_once(runtime)

    async with gql.websocket(token=people.customer_token) as socket:
        await socket.subscribe(MESSAGE_ADDED)
        await reply(runtime, people.operator, first.appeal.id, "Ответ на первое")
        await gql.as_token(people.customer_token).execute(
            POST_MESSAGE, {"input": {"appealId": appeal_gid(second.appeal.id), "text": "Дополнение ко второму"}}
        )
        await relay_once(runtime)
        pushed = [(await socket.next_data(timeout=1))["appealMessageAdded"] for _ in range(2)]

    assert [(p["appeal"]["id"], p["message"]["text"], p["message"]["isMine"]) for p in pushed] == [
        (appeal_gid(first.appeal.id), "Ответ на первое", False),
        (appeal_gid(second.appeal.id), "Дополнение ко второму", True),
    ]


async def test_a_customer_who_reconnects_with_the_last_event_id_gets_every_missed_message(
    runtime: Runtime, gql: GraphQLClient, people: Conversation
) -> None:
    posted = await open_appeal(runtime, people.customer, people.account)
    assert posted.appeal.id is not None
    appeal_id = appeal_gid(posted.appeal.id)
    await relay_once(runtime)
    async with gql.websocket(token=people.customer_token) as socket:
        await socket.subscribe(MESSAGE_ADDED, {"appealId": appeal_id})
        await reply(runtime, people.operator, posted.appeal.id, "Первый ответ")
        await relay_once(runtime)
        last_seen = (await socket.next_data(timeout=1))["appealMessageAdded"]["eventId"]

    # while the customer is away
    await reply(runtime, people.operator, posted.appeal.id, "Второй ответ")
    await reply(runtime, people.operator, posted.appeal.id, "Третий ответ")
    await relay_once(runtime)

    async with gql.websocket(token=people.customer_token) as socket:
        await socket.subscribe(MESSAGE_ADDED, {"appealId": appeal_id, "after": last_seen})
        missed = [(await socket.next_data(timeout=1))["appealMessageAdded"] for _ in range(2)]
        await reply(runtime, people.operator, posted.appeal.id, "Четвёртый ответ")
        await relay_once(runtime)
        live = (await socket.next_data(timeout=1))["appealMessageAdded"]

    assert [m["message"]["text"] for m in missed] == ["Второй ответ", "Третий ответ"]
    assert live["message"]["text"] == "Четвёртый ответ"
    assert int(last_seen) < int(missed[0]["eventId"]) < int(missed[1]["eventId"]) < int(live["eventId"])


async def test_operators_see_new_appeals_and_customer_messages_in_their_inbox_live(
    runtime: Runtime, gql: GraphQLClient, people: Conversation
) -> None:
    customer = gql.as_token(people.customer_token)
    async with gql.websocket(token=people.operator_token) as socket:
        await socket.subscribe(INBOX_CHANGED)
        created = await customer.execute(
            CREATE_APPEAL,
            {
                "input": {
                    "target": {"objectId": global_id("PersonalAccount", people.account.id)},
                    "topic": "INSTALLMENT_PLAN",
                    "text": "Прошу рассрочку",
                }
            },
        )
        appeal_id = created["createAppeal"]["appeal"]["id"]
        await gql.as_token(people.operator_token).execute(
            POST_MESSAGE, {"input": {"appealId": appeal_id, "text": "Приложите заявление"}}
        )
        await customer.execute(POST_MESSAGE, {"input": {"appealId": appeal_id, "text": "Приложила"}})
        await relay_once(runtime)
        changes = [(await socket.next_data(timeout=1))["appealInboxChanged"] for _ in range(3)]

    assert [(c["change"], c["appeal"]["id"], c["appeal"]["status"], c["message"]["text"]) for c in changes] == [
        ("NEW_APPEAL", appeal_id, "AWAITING_OPERATOR", "Прошу рассрочку"),
        ("OPERATOR_REPLY", appeal_id, "AWAITING_OPERATOR", "Приложите заявление"),
        ("CUSTOMER_MESSAGE", appeal_id, "AWAITING_OPERATOR", "Приложила"),
    ]

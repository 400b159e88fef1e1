"""A whole appeal over the real ASGI app: opened with files, answered, continued, read and closed."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from services.platform.runtime import Runtime
from tests.support.appeals import (
    APPEAL_NODE,
    CLOSE_APPEAL,
    CREATE_APPEAL,
    MARK_READ,
    POST_MESSAGE,
    conversation_people,
    pdf_file,
    png_file,
    post_files,
)
from tests.support.graphql import GraphQLClient
from tests.support.objects import global_id

TOPICS = "{ me { appealTopics { topic title appealCount openCount unreadCount } } }"
APPEALS = """
query($topic: AppealTopic, $status: AppealStatus) {
  me { appeals(topic: $topic, status: $status, first: 10) { edges { node { id status lastMessage { text } } } } }
}"""
INBOX = """
query($status: AppealStatus) { appealInbox(status: $status, first: 100) { edges { node { id waitingSince } } } }"""


async def download(http: httpx.AsyncClient, url: str, token: str) -> httpx.Response:
    parts = urlsplit(url)
    return await http.get(f"{parts.path}?{parts.query}", headers={"Authorization": f"Bearer {token}"})


async def test_a_customer_and_an_operator_talk_until_the_appeal_is_closed(
    runtime: Runtime, gql: GraphQLClient, app_client: httpx.AsyncClient
) -> None:
    people = await conversation_people(runtime)
    customer, operator = gql.as_token(people.customer_token), gql.as_token(people.operator_token)

    # the customer opens an appeal about their account with a scan and a photo
    created = await post_files(
        app_client,
        query=CREATE_APPEAL,
        variables={
            "input": {
                "target": {"objectId": global_id("PersonalAccount", people.account.id)},
                "topic": "METER_REPLACEMENT_SEALING",
                "text": "Прошу опломбировать новый счётчик. Акт и фото прилагаю.",
            }
        },
        files=[pdf_file(), png_file()],
        token=people.customer_token,
    )
    payload = created["data"]["createAppeal"]
    assert payload["errors"] == []
    appeal = payload["appeal"]
    assert appeal["status"] == "OPEN"
    assert appeal["topicTitle"] == "Замена/опломбировка ПУ"
    assert appeal["target"] == {
        "kind": "ACCOUNT", "number": people.account.number, "personalAccount": {"number": people.account.number},
        "contract": None, "techConnection": None,
    }  # fmt: skip
    attachments = payload["message"]["attachments"]
    assert [(a["filename"], a["contentType"]) for a in attachments] == [
        ("akt.pdf", "application/pdf"),
        ("schetchik.png", "image/png"),
    ]
    assert (await download(app_client, attachments[1]["url"], people.customer_token)).content == png_file()[1]

    # operators see it waiting in their inbox
    inbox = await operator.execute(INBOX, {"status": "OPEN"})
    assert appeal["id"] in [edge["node"]["id"] for edge in inbox["appealInbox"]["edges"]]

    # an operator answers with a file: the customer has one unread answer
    answered = await post_files(
        app_client,
        query=POST_MESSAGE,
        variables={"input": {"appealId": appeal["id"], "text": "Заявка передана мастеру, памятка во вложении."}},
        files=[pdf_file("pamyatka.pdf")],
        token=people.operator_token,
    )
    assert answered["data"]["postAppealMessage"]["errors"] == []
    seen = (await customer.execute(APPEAL_NODE, {"id": appeal["id"]}))["node"]
    assert (seen["status"], seen["unreadCount"], seen["waitingSince"]) == ("ANSWERED", 1, None)
    operator_file = seen["messages"]["edges"][1]["node"]["attachments"][0]
    assert (await download(app_client, operator_file["url"], people.customer_token)).status_code == 200

    # the customer reads it and asks again: it awaits the operator
    read = await customer.execute(MARK_READ, {"input": {"appealId": appeal["id"]}})
    assert read["markAppealRead"]["appeal"]["unreadCount"] == 0
    again = await customer.execute(POST_MESSAGE, {"input": {"appealId": appeal["id"], "text": "Можно после 18:00?"}})
    assert again["postAppealMessage"]["appeal"]["status"] == "AWAITING_OPERATOR"
    assert again["postAppealMessage"]["appeal"]["waitingSince"] is not None

    # the operator confirms, the customer closes it
    confirmed = await operator.execute(
        POST_MESSAGE, {"input": {"appealId": appeal["id"], "text": "Да, мастер позвонит заранее."}}
    )
    assert confirmed["postAppealMessage"]["appeal"]["status"] == "ANSWERED"
    closed = await customer.execute(CLOSE_APPEAL, {"input": {"appealId": appeal["id"]}})
    assert closed["closeAppeal"]["appeal"]["status"] == "CLOSED"

    final = (await customer.execute(APPEAL_NODE, {"id": appeal["id"]}))["node"]
    chat = [(edge["node"]["authorRole"], edge["node"]["isMine"]) for edge in final["messages"]["edges"]]
    assert chat == [("CUSTOMER", True), ("OPERATOR", False), ("CUSTOMER", True), ("OPERATOR", False)]
    assert final["closedAt"] is not None


async def test_the_appeals_section_groups_the_customers_appeals_by_topic(runtime: Runtime, gql: GraphQLClient) -> None:
    people = await conversation_people(runtime)
    customer = gql.as_token(people.customer_token)
    for topic, text in (("PAPER_RECEIPT", "Нет квитанции"), ("PAPER_RECEIPT", "Опять нет"), ("OTHER", "Вопрос")):
        created = await customer.execute(
            CREATE_APPEAL,
            {"input": {"target": {"otherNumber": "290000001"}, "topic": topic, "text": text}},
        )
        assert created["createAppeal"]["errors"] == []
    latest = created["createAppeal"]["appeal"]["id"]
    await gql.as_token(people.operator_token).execute(POST_MESSAGE, {"input": {"appealId": latest, "text": "Ответ"}})

    topics = (await customer.execute(TOPICS))["me"]["appealTopics"]
    receipts = await customer.execute(APPEALS, {"topic": "PAPER_RECEIPT"})

    assert [(t["topic"], t["appealCount"], t["unreadCount"]) for t in topics] == [
        ("LK_QUESTION", 0, 0), ("ISU_QUESTION", 0, 0), ("METER_REPLACEMENT_SEALING", 0, 0),
        ("INSTALLMENT_PLAN", 0, 0), ("PAPER_RECEIPT", 2, 0), ("OTHER", 1, 1),
    ]  # fmt: skip
    assert topics[4]["title"] == "Бумажная квитанция"
    texts = [edge["node"]["lastMessage"]["text"] for edge in receipts["me"]["appeals"]["edges"]]
    assert texts == ["Опять нет", "Нет квитанции"]


async def test_a_typed_number_of_the_customers_own_account_is_recorded_as_that_account(
    runtime: Runtime, gql: GraphQLClient
) -> None:
    people = await conversation_people(runtime)

    created = await gql.as_token(people.customer_token).execute(
        CREATE_APPEAL,
        {"input": {"target": {"otherNumber": f" {people.account.number} "}, "topic": "OTHER", "text": "Вопрос"}},
    )

    target = created["createAppeal"]["appeal"]["target"]
    assert (target["kind"], target["personalAccount"]) == ("ACCOUNT", {"number": people.account.number})


async def test_another_number_is_kept_as_typed(runtime: Runtime, gql: GraphQLClient) -> None:
    people = await conversation_people(runtime)

    created = await gql.as_token(people.customer_token).execute(
        CREATE_APPEAL, {"input": {"target": {"otherNumber": "15-000999"}, "topic": "OTHER", "text": "Вопрос"}}
    )

    target = created["createAppeal"]["appeal"]["target"]
    assert (target["kind"], target["number"], target["contract"]) == ("OTHER", "15-000999", None)

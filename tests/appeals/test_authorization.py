"""Who may use each appeals field, mutation and subscription: anonymous, another customer, staff roles, the owner.

Another customer's appeal is exactly a missing one; analysts read (masked) and cannot write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from models import Customer
from services.events.relay import relay_once
from services.platform.runtime import Runtime
from tests.support.appeals import (
    ASSIGN_APPEAL,
    CLOSE_APPEAL,
    CREATE_APPEAL,
    INBOX_CHANGED,
    MARK_READ,
    MESSAGE_ADDED,
    POST_MESSAGE,
    appeal_gid,
    open_appeal,
    reply,
)
from tests.support.callers import make_callers, matrix
from tests.support.factories import create_account
from tests.support.graphql import GraphQLClient
from tests.support.objects import count_where, global_id


@dataclass
class World:
    runtime: Runtime
    owner: Customer
    operator: Customer
    appeal_id: int
    message_id: int
    account_gid: str
    tokens: dict[str, str | None]

    def gql(self, gql: GraphQLClient, caller: str) -> GraphQLClient:
        return gql.as_token(self.tokens[caller])


@pytest.fixture
async def world(runtime: Runtime) -> World:
    now = runtime.clock.now()
    callers = await make_callers(runtime)
    people, tokens = callers.people, callers.tokens
    account, _ = await create_account(runtime.db, now=now, owner=people["owner"])
    posted = await open_appeal(
        runtime, people["owner"], account, "Перезвоните на +7 (921) 000-00-01 или пишите ivanov@mail.ru"
    )
    assert posted.appeal.id is not None
    assert posted.message.id is not None
    await relay_once(runtime)
    return World(
        runtime=runtime, owner=people["owner"], operator=people["operator"], appeal_id=posted.appeal.id,
        message_id=posted.message.id, account_gid=global_id("PersonalAccount", account.id), tokens=tokens,
    )  # fmt: skip


def outcome(body: dict[str, Any], field: str) -> object:
    """ "ok", a GraphQL error code, or the first UserError code of the payload."""
    if body.get("errors"):
        return body["errors"][0].get("extensions", {}).get("code")
    errors = body["data"][field]["errors"]
    return errors[0]["code"] if errors else "ok"


APPEAL = "query($id: ID!) { node(id: $id) { ... on Appeal { id target { number } customer { phone } } } }"
MESSAGE = "query($id: ID!) { node(id: $id) { ... on AppealMessage { text attachments { url } } } }"
CUSTOMER_APPEALS = """
query($id: ID!) {
  node(id: $id) { ... on Customer { appeals { edges { node { id } } } appealTopics { appealCount } } }
}"""
INBOX = "{ appealInbox(first: 100) { edges { node { id } } } }"


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix(None, None, "plain", "masked", "plain", "plain"),
)
async def test_an_appeal_is_seen_by_its_owner_and_staff(
    gql: GraphQLClient, world: World, caller: str, expected: object
) -> None:
    data = await world.gql(gql, caller).execute(APPEAL, {"id": appeal_gid(world.appeal_id)})

    node = data["node"]
    if expected is None:
        assert node is None
    else:
        phone = world.owner.phone
        assert node["customer"]["phone"] == (phone if expected == "plain" else f"{phone[:5]}***{phone[-4:]}")


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix(None, None, "plain", "masked", "plain", "plain"),
)
async def test_a_message_is_read_by_its_owner_and_staff_and_masked_for_analysts(
    gql: GraphQLClient, world: World, caller: str, expected: object
) -> None:
    data = await world.gql(gql, caller).execute(MESSAGE, {"id": global_id("AppealMessage", world.message_id)})

    node = data["node"]
    if expected is None:
        assert node is None
    elif expected == "masked":
        assert node["text"] == "Перезвоните на *** или пишите ***"
    else:
        assert node["text"] == "Перезвоните на +7 (921) 000-00-01 или пишите ivanov@mail.ru"


@pytest.mark.parametrize(("caller", "expected"), matrix(None, None, 1, 1, 1, 1))
async def test_a_customers_appeals_are_listed_for_them_and_staff(
    gql: GraphQLClient, world: World, caller: str, expected: object
) -> None:
    data = await world.gql(gql, caller).execute(CUSTOMER_APPEALS, {"id": global_id("Customer", world.owner.id)})

    node = data["node"]
    if expected is None:
        assert node is None
    else:
        assert len(node["appeals"]["edges"]) == expected
        assert sum(group["appealCount"] for group in node["appealTopics"]) == expected


@pytest.mark.parametrize(("caller", "expected"), matrix("UNAUTHENTICATED", "FORBIDDEN", "ok", "ok", "ok", "FORBIDDEN"))
async def test_the_inbox_is_for_staff(gql: GraphQLClient, world: World, caller: str, expected: object) -> None:
    body = await world.gql(gql, caller).post(INBOX)

    if expected == "ok":
        assert appeal_gid(world.appeal_id) in [edge["node"]["id"] for edge in body["data"]["appealInbox"]["edges"]]
    else:
        assert [error["extensions"]["code"] for error in body["errors"]] == [expected]


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "ok"),
)
async def test_only_customers_open_appeals_about_their_own_objects(
    runtime: Runtime, gql: GraphQLClient, world: World, caller: str, expected: object
) -> None:
    before = await count_where(runtime, "appeal")
    variables = {"input": {"target": {"objectId": world.account_gid}, "topic": "OTHER", "text": "Вопрос"}}

    body = await world.gql(gql, caller).post(CREATE_APPEAL, variables)

    assert outcome(body, "createAppeal") == expected
    assert await count_where(runtime, "appeal") == before + (1 if expected == "ok" else 0)


WRITES = [("postAppealMessage", POST_MESSAGE, {"text": "Ответ"}), ("markAppealRead", MARK_READ, {}),
          ("closeAppeal", CLOSE_APPEAL, {})]  # fmt: skip


@pytest.mark.parametrize("write", WRITES, ids=[w[0] for w in WRITES])
@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "NOT_FOUND", "ok", "FORBIDDEN", "ok", "ok"),
)
async def test_the_owner_and_operators_write_to_an_appeal(
    gql: GraphQLClient, world: World, write: tuple[str, str, dict[str, Any]], caller: str, expected: object
) -> None:
    field, document, extra = write
    runtime = world.runtime
    before = (await count_where(runtime, "appeal_message"), await count_where(runtime, "outbox_event"))

    body = await world.gql(gql, caller).post(document, {"input": {"appealId": appeal_gid(world.appeal_id), **extra}})

    assert outcome(body, field) == expected
    if expected != "ok":
        assert (await count_where(runtime, "appeal_message"), await count_where(runtime, "outbox_event")) == before
        untouched = "id = :id AND status = 'OPEN' AND operator_read_up_to = 0"
        assert await count_where(runtime, "appeal", untouched, id=world.appeal_id) == 1


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "FORBIDDEN", "ok", "FORBIDDEN", "ok", "FORBIDDEN"),
)
async def test_operators_assign_appeals(
    runtime: Runtime, gql: GraphQLClient, world: World, caller: str, expected: object
) -> None:
    variables = {
        "input": {"appealId": appeal_gid(world.appeal_id), "operatorId": global_id("Customer", world.operator.id)}
    }

    body = await world.gql(gql, caller).post(ASSIGN_APPEAL, variables)

    assert outcome(body, "assignAppeal") == expected
    assigned = await count_where(runtime, "appeal", "id = :id AND assigned_operator_id IS NOT NULL", id=world.appeal_id)
    assert assigned == (1 if expected == "ok" else 0)


async def subscription_outcome(
    gql: GraphQLClient, world: World, *, caller: str, query: str, variables: dict[str, Any]
) -> object:
    """ "ok" when the subscriber receives the operator's next reply, else the error code it got."""
    async with gql.websocket(token=world.tokens[caller]) as socket:
        await socket.subscribe(query, variables)
        await reply(world.runtime, world.operator, world.appeal_id, "Ответ оператора")
        await relay_once(world.runtime)
        message = await socket.receive(timeout=1)
    if message["type"] == "next" and not message["payload"].get("errors"):
        return "ok"
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    return errors[0]["extensions"]["code"]


@pytest.mark.parametrize(("caller", "expected"), matrix("UNAUTHENTICATED", "NOT_FOUND", "ok", "ok", "ok", "ok"))
async def test_an_appeals_messages_are_followed_by_its_owner_and_staff(
    gql: GraphQLClient, world: World, caller: str, expected: object
) -> None:
    result = await subscription_outcome(
        gql, world, caller=caller, query=MESSAGE_ADDED, variables={"appealId": appeal_gid(world.appeal_id)}
    )

    assert result == expected


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "FORBIDDEN", "ok", "FORBIDDEN", "ok", "FORBIDDEN"),
)
async def test_the_inbox_is_followed_by_operators(
    gql: GraphQLClient, world: World, caller: str, expected: object
) -> None:
    assert await subscription_outcome(gql, world, caller=caller, query=INBOX_CHANGED, variables={}) == expected


async def test_analysts_get_no_download_links_for_attachments(
    runtime: Runtime, gql: GraphQLClient, world: World
) -> None:
    from tests.support.appeals import pdf_file, post_files

    body = await post_files(
        gql.http, query=POST_MESSAGE, variables={"input": {"appealId": appeal_gid(world.appeal_id), "text": ""}},
        files=[pdf_file()], token=world.tokens["owner"],
    )  # fmt: skip
    message_id = body["data"]["postAppealMessage"]["message"]["id"]

    seen = {
        caller: (await world.gql(gql, caller).execute(MESSAGE, {"id": message_id}))["node"]["attachments"][0]["url"]
        for caller in ("analyst", "operator")
    }

    assert seen["analyst"] is None
    assert seen["operator"] is not None

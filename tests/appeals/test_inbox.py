"""The operators' inbox: who waits longest comes first; assignment; and lists that cost a fixed number of statements."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.enums import Role
from services.platform.clock import FrozenClock
from services.platform.database import count_statements
from services.platform.runtime import Runtime
from tests.support.appeals import (
    ASSIGN_APPEAL,
    POST_MESSAGE,
    appeal_gid,
    conversation_people,
    open_appeal,
    pdf_file,
    post_files,
    reply,
)
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import global_id

INBOX = """
query($status: AppealStatus, $topic: AppealTopic, $mine: Boolean! = false, $unassigned: Boolean! = false,
      $first: Int, $after: String) {
  appealInbox(status: $status, topic: $topic, assignedToMe: $mine, unassigned: $unassigned, first: $first,
              after: $after) {
    edges { node { id status waitingSince unreadCount } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def inbox_ids(gql: GraphQLClient, **variables: Any) -> list[str]:
    """Every page of the inbox, walked with the cursor."""
    ids: list[str] = []
    after = None
    while True:
        page = (await gql.execute(INBOX, {**variables, "first": 7, "after": after}))["appealInbox"]
        ids += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


async def test_appeals_awaiting_an_answer_come_first_longest_waiting_first(
    runtime: Runtime, gql: GraphQLClient, clock: FrozenClock
) -> None:
    people = await conversation_people(runtime)
    operator = gql.as_token(people.operator_token)
    oldest = await open_appeal(runtime, people.customer, people.account, "Первое")
    clock.advance(timedelta(minutes=2))
    answered = await open_appeal(runtime, people.customer, people.account, "Второе")
    clock.advance(timedelta(minutes=2))
    newest = await open_appeal(runtime, people.customer, people.account, "Третье")
    assert answered.appeal.id is not None
    clock.advance(timedelta(minutes=2))
    await reply(runtime, people.operator, answered.appeal.id, "Ответ")

    everything = await inbox_ids(operator)
    waiting = [row["node"] for row in (await operator.execute(INBOX, {"first": 100}))["appealInbox"]["edges"]]

    ours = [appeal_gid(p.appeal.id) for p in (oldest, newest, answered)]
    assert [appeal_id for appeal_id in everything if appeal_id in ours] == ours
    assert len(everything) == len(set(everything))
    first_answered = next(i for i, node in enumerate(waiting) if node["waitingSince"] is None)
    assert all(node["waitingSince"] is None for node in waiting[first_answered:])
    waits = [node["waitingSince"] for node in waiting[:first_answered]]
    assert waits == sorted(waits)


async def test_an_operator_who_answers_an_unassigned_appeal_takes_it(runtime: Runtime, gql: GraphQLClient) -> None:
    people = await conversation_people(runtime)
    posted = await open_appeal(runtime, people.customer, people.account)
    operator = gql.as_token(people.operator_token)
    assert appeal_gid(posted.appeal.id) in await inbox_ids(operator, unassigned=True)

    await operator.execute(POST_MESSAGE, {"input": {"appealId": appeal_gid(posted.appeal.id), "text": "Ответ"}})

    assert appeal_gid(posted.appeal.id) in await inbox_ids(operator, mine=True)
    assert appeal_gid(posted.appeal.id) not in await inbox_ids(operator, unassigned=True)


async def test_an_appeal_is_assigned_to_an_operator_only(runtime: Runtime, gql: GraphQLClient) -> None:
    people = await conversation_people(runtime)
    posted = await open_appeal(runtime, people.customer, people.account)
    colleague = await create_customer(runtime.db, now=runtime.clock.now(), role=Role.OPERATOR)
    operator = gql.as_token(people.operator_token)
    appeal_id = appeal_gid(posted.appeal.id)

    to_customer = await operator.execute(
        ASSIGN_APPEAL, {"input": {"appealId": appeal_id, "operatorId": global_id("Customer", people.customer.id)}}
    )
    to_colleague = await operator.execute(
        ASSIGN_APPEAL, {"input": {"appealId": appeal_id, "operatorId": global_id("Customer", colleague.id)}}
    )

    assert [e["code"] for e in to_customer["assignAppeal"]["errors"]] == ["NOT_FOUND"]
    assert to_colleague["assignAppeal"]["appeal"]["assignedOperator"] == {"id": global_id("Customer", colleague.id)}
    colleague_token = await token_for(runtime, colleague)
    assert appeal_id in await inbox_ids(gql.as_token(colleague_token), mine=True)


async def test_asking_for_mine_and_unassigned_at_once_is_a_bad_request(runtime: Runtime, gql: GraphQLClient) -> None:
    people = await conversation_people(runtime)

    codes = await gql.as_token(people.operator_token).error_codes(INBOX, {"mine": True, "unassigned": True})

    assert codes == ["BAD_USER_INPUT"]


APPEALS_WITH_CHATS = """
{
  me {
    appealTopics { topic unreadCount }
    appeals(first: 50) {
      edges { node {
        id unreadCount lastMessage { text }
        target { personalAccount { number } }
        messages(first: 20) { edges { node { text isMine attachments { filename url } } } }
      } }
    }
  }
}"""


async def test_a_customers_appeals_with_their_chats_cost_as_many_statements_for_ten_as_for_one(
    runtime: Runtime, gql: GraphQLClient
) -> None:
    async def customer_with(appeals: int) -> str:
        people = await conversation_people(runtime)
        for _ in range(appeals):
            posted = await open_appeal(runtime, people.customer, people.account)
            await post_files(
                gql.http, query=POST_MESSAGE, files=[pdf_file()], token=people.operator_token,
                variables={"input": {"appealId": appeal_gid(posted.appeal.id), "text": "Ответ"}},
            )  # fmt: skip
        return people.customer_token

    one, ten = await customer_with(1), await customer_with(10)

    counts = []
    for token in (one, ten):
        async with count_statements() as counter:
            data = await gql.as_token(token).execute(APPEALS_WITH_CHATS)
        counts.append(counter[0])

    assert counts[0] == counts[1]
    edges = data["me"]["appeals"]["edges"]
    assert len(edges) == 10
    assert all(edge["node"]["unreadCount"] == 1 for edge in edges)
    assert all(len(edge["node"]["messages"]["edges"][1]["node"]["attachments"]) == 1 for edge in edges)

"""The appeals section costs the same number of SQL statements for one appeal as for many (no N+1)."""

from __future__ import annotations

from services.platform.database import count_statements
from services.platform.runtime import Runtime
from tests.support.appeals import conversation_people, open_appeal, reply
from tests.support.graphql import GraphQLClient

APPEALS = """
{
  me {
    appealTopics { topic title appealCount openCount unreadCount }
    appeals(first: 20) {
      edges { node {
        id topic status topicTitle unreadCount lastMessageAt waitingSince
        target { kind number }
        lastMessage { text authorRole }
        assignedOperator { id }
        messages(first: 20) { edges { node { id text authorRole isMine attachments { filename url } } } }
      } }
    }
  }
}
"""


async def _statements_for(runtime: Runtime, gql: GraphQLClient, *, appeals: int) -> int:
    people = await conversation_people(runtime)
    for n in range(appeals):
        opened = await open_appeal(runtime, people.customer, people.account, f"Вопрос {n}")
        assert opened.appeal.id is not None
        await reply(runtime, people.operator, opened.appeal.id, f"Ответ {n}")
    async with count_statements() as counter:
        data = await gql.as_token(people.customer_token).execute(APPEALS)
    assert len(data["me"]["appeals"]["edges"]) == appeals
    return counter[0]


async def test_five_appeals_cost_as_many_statements_as_one(runtime: Runtime, gql: GraphQLClient) -> None:
    one = await _statements_for(runtime, gql, appeals=1)
    five = await _statements_for(runtime, gql, appeals=5)

    assert five == one

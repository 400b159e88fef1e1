"""The analysts' worked examples (schema/examples/analyst/*.graphql) run as they are, as an analyst, without errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from graphql import OperationDefinitionNode, OperationType, parse

from models.enums import Role
from services.analytics.rollups import refresh_rollups
from services.events.relay import relay_once
from services.platform.database import TransactionalDatabase, run
from services.platform.runtime import Runtime
from services.platform.settings import PROJECT_ROOT
from tests.support.appeals import POST_MESSAGE, appeal_gid, conversation_people, open_appeal
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import global_id


def text_is_subscription(text: str) -> bool:
    return any(
        isinstance(definition, OperationDefinitionNode) and definition.operation == OperationType.SUBSCRIPTION
        for definition in parse(text).definitions
    )


EXAMPLES = {
    path.stem: path.read_text() for path in sorted((PROJECT_ROOT / "schema" / "examples" / "analyst").glob("*.graphql"))
}
QUERIES = {name: text for name, text in EXAMPLES.items() if not text_is_subscription(text)}
SUBSCRIPTIONS = {name: text for name, text in EXAMPLES.items() if text_is_subscription(text)}


def test_every_aggregate_has_an_example() -> None:
    text = " ".join(EXAMPLES.values())

    for field in ("consumption", "charges", "payments", "debt", "readingSources", "customersSubmitting", "appeals",
                  "loadCurves", "series", "pseudonymousKey"):  # fmt: skip
        assert f"{field}(" in text or f"{field} " in text, field


@pytest.mark.parametrize("name", QUERIES)
async def test_an_example_runs_as_an_analyst(
    runtime: Runtime, gql: GraphQLClient, db: TransactionalDatabase, name: str
) -> None:
    await refresh_rollups(db=db, concurrently=False)
    analyst = await token_for(runtime, await create_customer(db, now=runtime.clock.now(), role=Role.ANALYST))
    async with db.session() as session:
        meter = (await run(session, sa.text("SELECT meter_id FROM metering_point ORDER BY id LIMIT 1"))).scalar_one()

    body = await gql.as_token(analyst).post(QUERIES[name], {"meter": global_id("Meter", meter)})

    assert "errors" not in body, body.get("errors")
    assert body["data"]


def test_there_is_a_live_example() -> None:
    assert SUBSCRIPTIONS


@pytest.mark.parametrize("name", SUBSCRIPTIONS)
async def test_a_live_example_delivers_to_an_analyst_masked(runtime: Runtime, gql: GraphQLClient, name: str) -> None:
    people = await conversation_people(runtime)
    analyst = await token_for(runtime, await create_customer(runtime.db, now=runtime.clock.now(), role=Role.ANALYST))
    posted = await open_appeal(runtime, people.customer, people.account)
    await relay_once(runtime)

    async with gql.websocket(token=analyst) as socket:
        await socket.subscribe(SUBSCRIPTIONS[name])
        await socket.expect_silence(seconds=0.2)
        await gql.as_token(people.customer_token).execute(
            POST_MESSAGE, {"input": {"appealId": appeal_gid(posted.appeal.id), "text": "Звоните: +7 921 555-44-33"}}
        )
        await relay_once(runtime)
        pushed = await socket.next_data(timeout=2)

    message = pushed["appealMessageAdded"]["message"]
    assert message["authorRole"] == "CUSTOMER"
    assert message["text"].startswith("Звоните: ")
    assert "555" not in message["text"]  # the phone number is masked for analysts

"""The analysts' worked examples (schema/examples/analyst/*.graphql) run as they are, as an analyst, without errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from models.enums import Role
from services.analytics.rollups import refresh_rollups
from services.platform.database import TransactionalDatabase, run
from services.platform.runtime import Runtime
from services.platform.settings import PROJECT_ROOT
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import global_id

EXAMPLES = {
    path.stem: path.read_text() for path in sorted((PROJECT_ROOT / "schema" / "examples" / "analyst").glob("*.graphql"))
}


def test_every_aggregate_has_an_example() -> None:
    text = " ".join(EXAMPLES.values())

    for field in ("consumption", "charges", "payments", "debt", "readingSources", "customersSubmitting", "appeals",
                  "loadCurves", "series", "pseudonymousKey"):  # fmt: skip
        assert f"{field}(" in text or f"{field} " in text, field


@pytest.mark.parametrize("name", EXAMPLES)
async def test_an_example_runs_as_an_analyst(
    runtime: Runtime, gql: GraphQLClient, db: TransactionalDatabase, name: str
) -> None:
    await refresh_rollups(db=db, concurrently=False)
    analyst = await token_for(runtime, await create_customer(db, now=runtime.clock.now(), role=Role.ANALYST))
    async with db.session() as session:
        meter = (await run(session, sa.text("SELECT meter_id FROM metering_point ORDER BY id LIMIT 1"))).scalar_one()

    body = await gql.as_token(analyst).post(EXAMPLES[name], {"meter": global_id("Meter", meter)})

    assert "errors" not in body, body.get("errors")
    assert body["data"]

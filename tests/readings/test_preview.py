"""readingPreview: per zone the previous value, consumption, estimated cost and problems; nothing is stored."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from models import ContractLink, DeliveryPoint, Meter
from services.platform.clock import FrozenClock
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import create_contract
from tests.support.readings import (
    PREVIEW,
    SUBMIT,
    add_readings,
    link_family_member,
    meter_gid,
    row_counts,
    submit_input,
)


async def test_the_preview_shows_consumption_and_cost_by_the_current_tariff(
    runtime: Runtime, gql: GraphQLClient, clock: FrozenClock
) -> None:
    # given
    owner = await create_customer(runtime.db, now=clock.now())
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner, zone_count=2)
    await add_readings(runtime.db, meter, [(date(2026, 10, 20), [16000, 7000])], now=clock.now())
    customer = gql.as_token(await token_for(runtime, owner))
    before = await row_counts(runtime)

    # when
    data = await customer.execute(
        PREVIEW,
        {
            "meterId": meter_gid(meter),
            "values": [{"zone": "DAY", "value": "16150"}, {"zone": "NIGHT", "value": "7040"}],
        },
    )

    # then
    preview = data["readingPreview"]
    assert preview["errors"] == []
    assert (preview["period"], preview["inWindow"], preview["goesToReview"]) == ("2026-12-01", False, False)
    day, night = preview["zones"]
    assert (day["zone"], day["previousValue"], day["previousTakenOn"], day["consumption"]) == (
        "DAY", 16000, "2026-10-20", 150,
    )  # fmt: skip
    assert night["consumption"] == 40
    for zone in (day, night):
        assert zone["rate"] > 0
        assert zone["estimatedCost"] == zone["consumption"] * zone["rate"]
    assert await row_counts(runtime) == before


async def test_the_preview_reports_each_zones_problems(
    runtime: Runtime, gql: GraphQLClient, clock: FrozenClock
) -> None:
    owner = await create_customer(runtime.db, now=clock.now())
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner, zone_count=2)
    await add_readings(runtime.db, meter, [(date(2026, 10, 20), [16000, 7000])], now=clock.now())
    customer = gql.as_token(await token_for(runtime, owner))

    data = await customer.execute(
        PREVIEW,
        {
            "meterId": meter_gid(meter),
            "values": [{"zone": "DAY", "value": "1600"}, {"zone": "NIGHT", "value": "07040"}],
        },
    )

    preview = data["readingPreview"]
    assert [[error["code"] for error in zone["errors"]] for zone in preview["zones"]] == [
        ["BELOW_PREVIOUS"],
        ["LEADING_ZEROS"],
    ]
    assert [error["code"] for error in preview["errors"]] == ["BELOW_PREVIOUS", "LEADING_ZEROS"]


async def test_the_preview_compares_with_a_family_members_submission_not_processed_yet(
    runtime: Runtime, gql: GraphQLClient, clock: FrozenClock
) -> None:
    # given: one family member submitted, the other previews
    owner = await create_customer(runtime.db, now=clock.now())
    member = await create_customer(runtime.db, now=clock.now())
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner)
    await link_family_member(runtime.db, meter, member, now=clock.now())
    await add_readings(runtime.db, meter, [(date(2026, 10, 20), 16360)], now=clock.now())
    await gql.as_token(await token_for(runtime, owner)).execute(SUBMIT, submit_input(meter, {"SINGLE": "16500"}))

    # when
    data = await gql.as_token(await token_for(runtime, member)).execute(
        PREVIEW, {"meterId": meter_gid(meter), "values": [{"zone": "SINGLE", "value": "16510"}]}
    )

    # then
    (zone,) = data["readingPreview"]["zones"]
    assert (zone["previousValue"], zone["previousPending"], zone["consumption"]) == (16500, True, 10)


async def test_the_preview_ignores_the_customers_own_waiting_submission_which_a_new_one_replaces(
    runtime: Runtime, gql: GraphQLClient, clock: FrozenClock
) -> None:
    owner = await create_customer(runtime.db, now=clock.now())
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner)
    await add_readings(runtime.db, meter, [(date(2026, 10, 20), 16360)], now=clock.now())
    customer = gql.as_token(await token_for(runtime, owner))
    await customer.execute(SUBMIT, submit_input(meter, {"SINGLE": "16500"}))

    data = await customer.execute(
        PREVIEW, {"meterId": meter_gid(meter), "values": [{"zone": "SINGLE", "value": "16400"}]}
    )

    (zone,) = data["readingPreview"]["zones"]
    assert (zone["previousValue"], zone["previousPending"], zone["consumption"], zone["errors"]) == (
        16360,
        False,
        40,
        [],
    )


async def test_a_first_reading_has_no_previous_value(runtime: Runtime, gql: GraphQLClient, clock: FrozenClock) -> None:
    owner = await create_customer(runtime.db, now=clock.now())
    _, meter = await create_account(runtime.db, now=clock.now(), owner=owner)
    customer = gql.as_token(await token_for(runtime, owner))

    data = await customer.execute(PREVIEW, {"meterId": meter_gid(meter), "values": [{"zone": "SINGLE", "value": "42"}]})

    (zone,) = data["readingPreview"]["zones"]
    assert (zone["previousValue"], zone["consumption"], zone["estimatedCost"], zone["errors"]) == (None, None, None, [])


async def test_a_contracts_meter_is_priced_by_the_organisations_tariff(
    runtime: Runtime, gql: GraphQLClient, clock: FrozenClock
) -> None:
    owner = await create_customer(runtime.db, now=clock.now())
    contract = await create_contract(runtime.db, now=clock.now())
    async with runtime.db.session() as session:
        assert contract.id is not None
        assert owner.id is not None
        session.add(ContractLink(customer_id=owner.id, contract_id=contract.id, linked_at=clock.now()))
        point = DeliveryPoint(contract_id=contract.id, name="Цех", address="г. Архангельск, ул. Заводская, д. 1")
        session.add(point)
        await session.flush()
        meter = Meter(
            delivery_point_id=point.id, serial="ORG-PREVIEW-1", model="Меркурий 230", zone_count=1, digits=6,
            installed_on=date(2024, 1, 1),
        )  # fmt: skip
        session.add(meter)
        await session.commit()
    await add_readings(runtime.db, meter, [(date(2026, 10, 20), 5_000)], now=clock.now())
    async with runtime.db.session() as session:
        rate = (
            await run(
                session,
                sa.text(
                    "SELECT rate_kopecks FROM tariff WHERE category = 'NON_HOUSEHOLD' AND zone_count = 1"
                    " AND valid_from <= '2026-12-01' AND (valid_to IS NULL OR valid_to > '2026-12-01')"
                ),
            )
        ).scalar_one()
    customer = gql.as_token(await token_for(runtime, owner))

    data = await customer.execute(
        PREVIEW, {"meterId": meter_gid(meter), "values": [{"zone": "SINGLE", "value": "5120"}]}
    )

    (zone,) = data["readingPreview"]["zones"]
    assert (zone["consumption"], zone["estimatedCost"]) == (120, 120 * rate)

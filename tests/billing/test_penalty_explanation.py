"""`Statement.penaltyExplanation` and `Debt.penaltyExplanation` over a month the engine closed, in hand-made kopecks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from models import AccountDebt, Payment, PersonalAccount, Statement
from models.enums import PaymentMethod, PaymentStatus
from services.billing.close import close_period
from services.platform.database import count_statements
from services.platform.runtime import Runtime
from tests.billing.test_close import NOW, rows
from tests.support.callers import make_callers, matrix
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import global_id

OCT = date(2026, 10, 1)
# June 2026: 1 000.00 ₽ due 2026-07-15 (day 1 after it: 07-16; day 31: 08-15; day 90: 10-13; day 91: 10-14).
# August 2026: 500.00 ₽ due 2026-09-15 (day 30: 10-15; day 31: 10-16).
# On 2026-10-20 the customer pays 300.00 ₽ of electricity: ГК РФ ст. 319.1 п. 3 settles June's first.
# The key rate above 9.5 % is capped by the moratorium through 2026-12-31: every day accrues at 9.5 %; each interval
# is rounded half up to the kopeck.
EXPECTED_INTERVALS = [
    # the paid part of June, 30 000 kopecks, paid on 10-20
    ("2026-06-01", 30_000, "2026-10-20", "2026-10-01", "2026-10-13", 13, "1/300", 124),  # 30000×9.5%/300×13 = 123.50
    ("2026-06-01", 30_000, "2026-10-20", "2026-10-14", "2026-10-20", 7, "1/130", 153),  # 30000×9.5%/130×7 = 153.46
    # the unpaid rest of June, 70 000 kopecks, to the month's end
    ("2026-06-01", 70_000, None, "2026-10-01", "2026-10-13", 13, "1/300", 288),  # 70000×9.5%/300×13 = 288.17
    ("2026-06-01", 70_000, None, "2026-10-14", "2026-10-31", 18, "1/130", 921),  # 70000×9.5%/130×18 = 920.77
    # August, 50 000 kopecks, from its 31st day
    ("2026-08-01", 50_000, None, "2026-10-16", "2026-10-31", 16, "1/300", 253),  # 50000×9.5%/300×16 = 253.33
]
EXPECTED_PENALTY = 124 + 153 + 288 + 921 + 253  # 1 739
# August's own statement billed June's penalty from its 31st day: 100000×9.5%/300×17 = 538.33.
AUGUST_INTERVAL = ("2026-06-01", 100_000, None, "2026-08-15", "2026-08-31", 17, "1/300", 538)
AUGUST_PENALTY = 538

EXPLANATION = """
  accrued paid total
  overdueAmounts { accruedIn period dueOn base paidOn amount
    intervals { from to days share keyRate appliedRate moratoriumCapped amount } }
"""
STATEMENT_QUERY = f"""query($id: ID!) {{ node(id: $id) {{ ... on Statement {{ penalty
  penaltyExplanation {{ {EXPLANATION} }} }} }} }}"""
DEBT_QUERY = f"""query($id: ID!) {{ node(id: $id) {{ ... on PersonalAccount {{ debt {{ penalty
  penaltyExplanation {{ {EXPLANATION} }} }} }} }} }}"""


async def _history(runtime: Runtime, account: PersonalAccount) -> None:
    """June and August statements (nothing paid by then), a payment in October, then the engine closes October."""
    assert account.id is not None
    async with runtime.db.session() as session:
        session.add_all(
            [
                Statement(
                    account_id=account.id, period=date(2026, 6, 1), opening_balance=0, charged=100_000,
                    recalculated=0, paid=0, penalty=0, closing_balance=100_000, issued_on=date(2026, 7, 5),
                    due_on=date(2026, 7, 15), created_at=NOW,
                ),
                Statement(
                    account_id=account.id, period=date(2026, 8, 1), opening_balance=100_000, charged=50_000,
                    recalculated=0, paid=0, penalty=AUGUST_PENALTY, closing_balance=150_538,
                    issued_on=date(2026, 9, 5), due_on=date(2026, 9, 15), created_at=NOW,
                ),
                AccountDebt(account_id=account.id, electricity=120_000, penalty=AUGUST_PENALTY, state_duty=0,
                            updated_at=NOW),
                Payment(
                    account_id=account.id, amount=30_000, electricity=30_000, penalty=0, state_duty=0,
                    method=PaymentMethod.BANK, status=PaymentStatus.SUCCEEDED,
                    created_at=datetime(2026, 10, 20, 9, tzinfo=UTC), paid_at=datetime(2026, 10, 20, 9, tzinfo=UTC),
                ),
            ]
        )  # fmt: skip
        await session.commit()
    await close_period(db=runtime.db, period=OCT, now=NOW)


async def _october(runtime: Runtime, account: PersonalAccount) -> int:
    found = await rows(
        runtime.db, "SELECT id FROM statement WHERE account_id = :a AND period = :p", a=account.id, p=OCT
    )
    return int(found[0][0])


def _intervals(explanation: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (line["period"], line["base"], line["paidOn"], item["from"], item["to"], item["days"], item["share"],
         item["amount"])
        for line in explanation["overdueAmounts"]
        for item in line["intervals"]
    ]  # fmt: skip


@pytest.fixture
async def seeded_rate_above_cap(runtime: Runtime) -> None:
    # The case relies on the moratorium cap: the key rate of October 2026 in the table is above 9.5 %.
    found = await rows(runtime.db, "SELECT rate_bp FROM key_rate WHERE valid_from <= '2026-10-31' ORDER BY 1 DESC")
    assert found
    assert found[0][0] > 950


async def test_statement_penalty_explained_interval_by_interval_to_the_kopeck(
    gql: GraphQLClient, runtime: Runtime, seeded_rate_above_cap: None
) -> None:
    owner = await create_customer(runtime.db, now=runtime.clock.now())
    account, _ = await create_account(runtime.db, now=runtime.clock.now(), owner=owner)
    await _history(runtime, account)
    october = await _october(runtime, account)

    data = await gql.as_token(await token_for(runtime, owner)).execute(
        STATEMENT_QUERY, {"id": global_id("Statement", october)}
    )

    statement = data["node"]
    assert statement["penalty"] == EXPECTED_PENALTY == 1_739
    explanation = statement["penaltyExplanation"]
    assert _intervals(explanation) == EXPECTED_INTERVALS
    assert explanation["accrued"] == explanation["total"] == EXPECTED_PENALTY
    assert explanation["paid"] == 0
    assert sum(line["amount"] for line in explanation["overdueAmounts"]) == EXPECTED_PENALTY
    first = explanation["overdueAmounts"][0]
    assert first["dueOn"] == "2026-07-15"
    assert first["accruedIn"] == "2026-10-01"
    assert {item["appliedRate"] for line in explanation["overdueAmounts"] for item in line["intervals"]} == {"9.50"}
    assert all(item["moratoriumCapped"] for line in explanation["overdueAmounts"] for item in line["intervals"])


async def test_debt_penalty_explained_is_what_the_statements_accrued_less_what_was_paid(
    gql: GraphQLClient, runtime: Runtime, seeded_rate_above_cap: None
) -> None:
    owner = await create_customer(runtime.db, now=runtime.clock.now())
    account, _ = await create_account(runtime.db, now=runtime.clock.now(), owner=owner)
    await _history(runtime, account)

    data = await gql.as_token(await token_for(runtime, owner)).execute(
        DEBT_QUERY, {"id": global_id("PersonalAccount", account.id)}
    )

    debt = data["node"]["debt"]
    assert debt["penalty"] == AUGUST_PENALTY + EXPECTED_PENALTY == 2_277
    explanation = debt["penaltyExplanation"]
    assert (explanation["accrued"], explanation["paid"], explanation["total"]) == (2_277, 0, 2_277)
    assert _intervals(explanation) == [AUGUST_INTERVAL, *EXPECTED_INTERVALS]
    assert [line["accruedIn"] for line in explanation["overdueAmounts"]] == ["2026-08-01"] + ["2026-10-01"] * 3


async def test_an_imported_statement_has_no_explanation(
    gql: GraphQLClient, runtime: Runtime, seeded_rate_above_cap: None
) -> None:
    owner = await create_customer(runtime.db, now=runtime.clock.now())
    account, _ = await create_account(runtime.db, now=runtime.clock.now(), owner=owner)
    async with runtime.db.session() as session:
        statement = Statement(
            account_id=account.id, period=date(2026, 6, 1), opening_balance=0, charged=100, recalculated=0, paid=0,
            penalty=7, closing_balance=107, issued_on=date(2026, 7, 5), due_on=date(2026, 7, 15), created_at=NOW,
            external_id="erp:1",
        )  # fmt: skip
        session.add(statement)
        await session.commit()

    data = await gql.as_token(await token_for(runtime, owner)).execute(
        STATEMENT_QUERY, {"id": global_id("Statement", statement.id)}
    )

    assert data["node"]["penalty"] == 7
    assert data["node"]["penaltyExplanation"] is None


@pytest.mark.parametrize(("caller", "expected"), matrix("NULL", "NULL", "OK", "OK", "OK", "OK"))
async def test_who_sees_a_statements_penalty_explanation(
    gql: GraphQLClient, runtime: Runtime, seeded_rate_above_cap: None, caller: str, expected: str
) -> None:
    callers = await make_callers(runtime)
    account, _ = await create_account(runtime.db, now=runtime.clock.now(), owner=callers.people["owner"])
    await _history(runtime, account)
    october = await _october(runtime, account)

    body = await gql.as_token(callers.tokens[caller]).post(STATEMENT_QUERY, {"id": global_id("Statement", october)})

    if body.get("errors"):
        outcome = body["errors"][0]["extensions"]["code"]
    elif body["data"]["node"] is None:
        outcome = "NULL"
    else:
        assert body["data"]["node"]["penaltyExplanation"]["total"] == EXPECTED_PENALTY
        outcome = "OK"
    assert outcome == expected


CABINET = f"""{{ me {{ personalAccounts {{ debt {{ penaltyExplanation {{ total }} }}
  statements(first: 12) {{ edges {{ node {{ penaltyExplanation {{ {EXPLANATION} }} }} }} }} }} }} }}"""


async def test_explanations_of_many_accounts_cost_as_many_statements_as_of_one(
    gql: GraphQLClient, runtime: Runtime, seeded_rate_above_cap: None
) -> None:
    counts = []
    for accounts in (1, 4):
        owner = await create_customer(runtime.db, now=runtime.clock.now())
        for _ in range(accounts):
            account, _ = await create_account(runtime.db, now=runtime.clock.now(), owner=owner)
            await _history(runtime, account)
        client = gql.as_token(await token_for(runtime, owner))
        await client.execute(CABINET)
        async with count_statements() as counter:
            data = await client.execute(CABINET)
        assert len(data["me"]["personalAccounts"]) == accounts
        totals = [edge["node"]["penaltyExplanation"]["total"] for a in data["me"]["personalAccounts"]
                  for edge in a["statements"]["edges"]]  # fmt: skip
        assert sorted(totals) == sorted([0, AUGUST_PENALTY, EXPECTED_PENALTY] * accounts)
        counts.append(counter[0])
    assert counts[0] == counts[1]

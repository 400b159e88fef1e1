"""Payments made elsewhere, imported by an integration: batch, idempotent by the sender's ids, lowering the debt."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models import OutboxEvent, Payment, PersonalAccount
from models.enums import PaymentMethod, PaymentStatus
from services.errors import DomainError, ErrorCode
from services.integrations.service_tokens import PAYMENTS_WRITE, ServicePrincipal
from services.payments.imports import ExternalPayment, import_payments, import_provider
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.payments import DEBT, create_indebted_account, snapshot

PAID_AT = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
BANK_TOKEN = 41
OTHER_TOKEN = 42
BANK = ServicePrincipal(token_id=BANK_TOKEN, name="bank", scopes=frozenset({PAYMENTS_WRITE}))
OTHER = ServicePrincipal(token_id=OTHER_TOKEN, name="post", scopes=frozenset({PAYMENTS_WRITE}))


async def indebted(runtime: Runtime) -> PersonalAccount:
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    return await create_indebted_account(runtime, owner=customer)


def paid(account: PersonalAccount, external_id: str, electricity: int = 50_000, **extra: object) -> ExternalPayment:
    values: dict[str, object] = {
        "external_id": external_id,
        "account_number": account.number,
        "electricity": electricity,
        "paid_at": PAID_AT,
        "method": PaymentMethod.BANK,
    } | extra
    return ExternalPayment(**values)  # type: ignore[arg-type]


async def events_of(runtime: Runtime, account: PersonalAccount) -> list[dict[str, object]]:
    async with runtime.db.session() as session:
        rows = await session.exec(
            select(OutboxEvent)
            .where(OutboxEvent.type == "payment.status_changed", OutboxEvent.channels == [f"account:{account.id}"])
            .order_by(OutboxEvent.id)  # type: ignore[arg-type]
        )
        return [event.payload for event in rows]


async def test_a_batch_lowers_each_debt_and_announces_each_payment(runtime: Runtime) -> None:
    # given
    first, second = await indebted(runtime), await indebted(runtime)

    # when
    result = await import_payments(
        runtime,
        principal=BANK,
        items=[
            paid(first, "b-1", 100_000),
            paid(first, "b-2", 4_250, penalty=1_250, method=PaymentMethod.CASH_DESK),
            paid(second, "b-3", 30_000, state_duty=30_000, method=PaymentMethod.POST_OFFICE),
        ],
    )

    # then
    assert (result.created, result.skipped) == (3, 0)
    assert (await snapshot(runtime, first.id)).debt == (DEBT["electricity"] - 104_250, 0, DEBT["state_duty"])
    assert (await snapshot(runtime, second.id)).debt == (DEBT["electricity"] - 30_000, DEBT["penalty"], 0)
    events = await events_of(runtime, first)
    assert [(event["old"], event["new"], event["amount"]) for event in events] == [
        ("PENDING", "SUCCEEDED", 100_000),
        ("PENDING", "SUCCEEDED", 5_500),
    ]
    assert datetime.fromisoformat(str(events[0]["paid_at"])) == PAID_AT
    async with runtime.db.session() as session:
        stored = (await session.exec(select(Payment).where(Payment.account_id == second.id))).one()
    assert (stored.provider, stored.provider_payment_id, stored.status, stored.method, stored.customer_id) == (
        import_provider(BANK_TOKEN),
        "b-3",
        PaymentStatus.SUCCEEDED,
        PaymentMethod.POST_OFFICE,
        None,
    )


async def test_the_same_batch_again_or_overlapping_credits_nothing_twice(runtime: Runtime) -> None:
    account = await indebted(runtime)
    await import_payments(runtime, principal=BANK, items=[paid(account, "b-1"), paid(account, "b-2")])
    before = await snapshot(runtime, account.id)

    again = await import_payments(runtime, principal=BANK, items=[paid(account, "b-2"), paid(account, "b-3", 10_000)])

    assert (again.created, again.skipped) == (1, 1)
    after = await snapshot(runtime, account.id)
    assert after.debt == (before.debt[0] - 10_000, before.debt[1], before.debt[2])  # type: ignore[index]
    assert (after.payments, after.events) == (before.payments + 1, before.events + 1)


async def test_the_same_id_from_another_sender_is_another_payment(runtime: Runtime) -> None:
    account = await indebted(runtime)

    await import_payments(runtime, principal=BANK, items=[paid(account, "1")])
    other = await import_payments(runtime, principal=OTHER, items=[paid(account, "1")])

    assert other.created == 1
    assert (await snapshot(runtime, account.id)).debt == (
        DEBT["electricity"] - 100_000,
        DEBT["penalty"],
        DEBT["state_duty"],
    )


async def test_penalty_paid_beyond_what_is_owed_goes_to_electricity(runtime: Runtime) -> None:
    account = await indebted(runtime)

    await import_payments(
        runtime,
        principal=BANK,
        items=[paid(account, "p-1", 0, penalty=1_000), paid(account, "p-2", 0, penalty=1_000)],
    )

    assert (await snapshot(runtime, account.id)).debt == (DEBT["electricity"] - 750, 0, DEBT["state_duty"])


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"external_id": ""}, ErrorCode.INVALID_INPUT, "externalId"),
        ({"account_number": "999999999"}, ErrorCode.NOT_FOUND, "accountNumber"),
        ({"electricity": 0}, ErrorCode.INVALID_AMOUNT, "electricity"),
        ({"electricity": -1}, ErrorCode.INVALID_AMOUNT, "electricity"),
        ({"electricity": 100_000_001}, ErrorCode.INVALID_AMOUNT, "electricity"),
        ({"method": PaymentMethod.SBP}, ErrorCode.INVALID_INPUT, "method"),
        ({"paid_at": datetime(2026, 11, 20, 7, 30)}, ErrorCode.INVALID_INPUT, "paidAt"),
        ({"paid_at": datetime(2026, 11, 26, 9, 0, 1, tzinfo=UTC)}, ErrorCode.INVALID_INPUT, "paidAt"),
    ],
)
async def test_one_bad_item_refuses_the_whole_batch(
    runtime: Runtime, change: dict[str, Any], code: ErrorCode, field: str
) -> None:
    account = await indebted(runtime)
    before = await snapshot(runtime, account.id)

    with pytest.raises(DomainError) as refused:
        await import_payments(
            runtime,
            principal=BANK,
            items=[paid(account, "good"), dataclasses.replace(paid(account, "bad"), **change)],
        )

    [problem] = refused.value.problems
    assert (problem.code, problem.field) == (code, ("input", "items", "1", field))
    assert await snapshot(runtime, account.id) == before


async def test_the_largest_payment_and_the_present_moment_are_accepted(runtime: Runtime) -> None:
    account = await indebted(runtime)

    result = await import_payments(
        runtime,
        principal=BANK,
        items=[paid(account, "max", 100_000_000, paid_at=runtime.clock.now())],
    )

    assert result.created == 1


async def test_a_repeated_id_within_a_batch_is_refused(runtime: Runtime) -> None:
    account = await indebted(runtime)

    with pytest.raises(DomainError) as refused:
        await import_payments(runtime, principal=BANK, items=[paid(account, "x"), paid(account, "x")])

    assert refused.value.problems[0].field == ("input", "items", "1", "externalId")


async def test_an_account_with_no_debt_row_gets_an_advance(runtime: Runtime) -> None:
    from tests.support.factories import create_account

    account, _ = await create_account(runtime.db, now=runtime.clock.now())

    await import_payments(runtime, principal=BANK, items=[paid(account, "adv", 12_345)])

    async with runtime.db.session() as session:
        debt = (
            await run(
                session,
                sa.text("SELECT electricity, penalty, state_duty FROM account_debt WHERE account_id = :id"),
                {"id": account.id},
            )
        ).one()
    assert tuple(debt) == (-12_345, 0, 0)


async def test_the_service_refuses_a_token_without_payments_write(runtime: Runtime) -> None:
    # given
    account = await indebted(runtime)
    before = await snapshot(runtime, account.id)
    reader = ServicePrincipal(token_id=BANK_TOKEN, name="bank", scopes=frozenset({"readings:write"}))

    # when / then: refused by the service itself, nothing written
    with pytest.raises(DomainError) as refused:
        await import_payments(runtime, principal=reader, items=[paid(account, "f-1")])
    assert [problem.code for problem in refused.value.problems] == [ErrorCode.FORBIDDEN]
    assert await snapshot(runtime, account.id) == before
    assert await events_of(runtime, account) == []

    # and with the scope the payment is stored
    result = await import_payments(runtime, principal=BANK, items=[paid(account, "f-1")])
    assert result.created == 1
    after = await snapshot(runtime, account.id)
    assert after.payments == before.payments + 1
    assert after.debt is not None
    assert before.debt is not None
    assert after.debt[0] == before.debt[0] - 50_000

"""POST /payments/callback/{provider}: a signed result credits a payment once, with its event; else nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlmodel import select

from models import AccountDebt, OutboxEvent, Payment, PersonalAccount
from models.enums import PaymentMethod, PaymentStatus
from services.payments.start import start_payment
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.payments import DEBT, create_indebted_account, send_callback, snapshot

PAID_AT = "2026-11-20T10:15:00+03:00"


@dataclass
class Started:
    account: PersonalAccount
    payment: Payment


async def begin(runtime: Runtime, *, electricity: int = 100_000, penalty: int = 1_250, state_duty: int = 0) -> Started:
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    account = await create_indebted_account(runtime, owner=customer)
    assert customer.id is not None
    assert account.id is not None
    payment = await start_payment(
        runtime,
        customer_id=customer.id,
        account_id=account.id,
        electricity=electricity,
        penalty=penalty,
        state_duty=state_duty,
        method=PaymentMethod.SBP,
        idempotency_key="pay-1",
    )
    return Started(account=account, payment=payment)


def result(started: Started, status: str = "SUCCEEDED", callback_id: str = "cb-1") -> dict[str, Any]:
    return {
        "callbackId": callback_id,
        "paymentId": started.payment.provider_payment_id,
        "status": status,
        "paidAt": PAID_AT,
    }


async def status_of(runtime: Runtime, payment: Payment) -> tuple[PaymentStatus, datetime | None]:
    async with runtime.db.session() as session:
        row = (await session.exec(select(Payment).where(Payment.id == payment.id))).one()
        return row.status, row.paid_at


async def event_channels(runtime: Runtime) -> list[list[str]]:
    async with runtime.db.session() as session:
        events = await session.exec(select(OutboxEvent).where(OutboxEvent.type == "payment.status_changed"))
        return [list(event.channels) for event in events]


async def test_a_success_sent_twice_credits_once(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    started = await begin(runtime)

    first = await send_callback(app_client, runtime, result(started))
    second = await send_callback(app_client, runtime, result(started))

    assert (first.status_code, first.json()) == (200, {"status": "applied"})
    assert (second.status_code, second.json()) == (200, {"status": "repeated"})
    after = await snapshot(runtime, started.account.id)
    assert after.debt == (DEBT["electricity"] - 100_000, 0, DEBT["state_duty"])
    assert (after.callbacks, after.events) == (1, 1)
    assert await status_of(runtime, started.payment) == (PaymentStatus.SUCCEEDED, datetime.fromisoformat(PAID_AT))
    assert await event_channels(runtime) == [[f"account:{started.account.id}"]]


async def test_another_callback_for_a_credited_payment_changes_nothing(
    app_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    started = await begin(runtime)
    await send_callback(app_client, runtime, result(started))
    before = await snapshot(runtime, started.account.id)

    response = await send_callback(app_client, runtime, result(started, callback_id="cb-2"))

    assert response.json() == {"status": "ignored"}
    after = await snapshot(runtime, started.account.id)
    assert (after.debt, after.events) == (before.debt, before.events)


async def test_electricity_beyond_the_debt_becomes_an_advance(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    started = await begin(runtime, electricity=200_000, penalty=0)

    await send_callback(app_client, runtime, result(started))

    assert (await snapshot(runtime, started.account.id)).debt == (-15_750, DEBT["penalty"], DEBT["state_duty"])


async def test_penalty_paid_beyond_what_is_owed_now_goes_to_electricity(
    app_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    started = await begin(runtime, electricity=0, penalty=1_250)
    async with runtime.db.session() as session:  # a bank payment lowered the penalty meanwhile
        debt = await session.get(AccountDebt, started.account.id)
        assert debt is not None
        debt.penalty = 250
        session.add(debt)
        await session.commit()

    await send_callback(app_client, runtime, result(started))

    assert (await snapshot(runtime, started.account.id)).debt == (DEBT["electricity"] - 1_000, 0, DEBT["state_duty"])


@pytest.mark.parametrize(
    "signature",
    [None, "", "0" * 64, "wrong-secret"],
)
async def test_a_bad_signature_is_401_and_changes_nothing(
    app_client: httpx.AsyncClient, runtime: Runtime, signature: str | None
) -> None:
    started = await begin(runtime)
    before = await snapshot(runtime, started.account.id)

    if signature == "wrong-secret":
        response = await send_callback(app_client, runtime, result(started), secret="another-secret")
    else:
        headers = {"X-Signature": signature} if signature is not None else {}
        response = await app_client.post("/payments/callback/dev", json=result(started), headers=headers)

    assert response.status_code == 401
    assert await snapshot(runtime, started.account.id) == before
    assert (await status_of(runtime, started.payment))[0] is PaymentStatus.PENDING


async def test_a_failure_marks_the_payment_failed_and_keeps_the_debt(
    app_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    started = await begin(runtime)
    before = await snapshot(runtime, started.account.id)

    response = await send_callback(app_client, runtime, result(started, status="FAILED"))

    assert response.status_code == 200
    assert await status_of(runtime, started.payment) == (PaymentStatus.FAILED, None)
    after = await snapshot(runtime, started.account.id)
    assert after.debt == before.debt
    assert after.events == before.events + 1


async def test_an_unknown_payment_is_404(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    started = await begin(runtime)
    before = await snapshot(runtime, started.account.id)
    body = result(started) | {"paymentId": "never-issued"}

    unknown_id = await send_callback(app_client, runtime, body)
    other_provider = await send_callback(app_client, runtime, result(started), provider="other")

    assert (unknown_id.status_code, other_provider.status_code) == (404, 404)
    assert await snapshot(runtime, started.account.id) == before


@pytest.mark.parametrize(
    "body",
    [
        {"callbackId": "cb-1", "status": "SUCCEEDED", "paidAt": PAID_AT},
        {"callbackId": "cb-1", "paymentId": "x", "status": "PENDING", "paidAt": PAID_AT},
        {"callbackId": "cb-1", "paymentId": "x", "status": "SUCCEEDED"},
        {"callbackId": "cb-1", "paymentId": "x", "status": "SUCCEEDED", "paidAt": "2026-11-20T10:15:00"},
        [],
    ],
)
async def test_a_signed_body_that_is_not_the_agreed_json_is_400(
    app_client: httpx.AsyncClient, runtime: Runtime, body: Any
) -> None:
    response = await send_callback(app_client, runtime, body)

    assert response.status_code == 400


async def test_signed_callbacks_settle_nothing_in_production(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    from services.platform.settings import Environment

    started = await begin(runtime)
    before = await snapshot(runtime, started.account.id)
    runtime.settings = runtime.settings.model_copy(update={"environment": Environment.PRODUCTION})

    response = await send_callback(app_client, runtime, result(started))

    assert response.status_code == 404
    assert await snapshot(runtime, started.account.id) == before
    assert (await status_of(runtime, started.payment))[0] is PaymentStatus.PENDING

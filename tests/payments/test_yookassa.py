"""ЮKassa end to end against the local protocol server: creation, notifications read back, the PENDING timeout."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from sqlmodel import select

from models import Payment, PersonalAccount
from models.enums import PaymentMethod, PaymentStatus
from services.errors import DomainError, ErrorCode
from services.payments.fiscal import receipt_items
from services.payments.notifications import settle_stale_payments
from services.payments.provider import PaymentOrder, ProviderUnavailable, runtime_provider
from services.payments.start import start_payment
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.payments import DEBT, create_indebted_account, snapshot
from tests.support.yookassa import LocalYooKassa

NOTIFY = "/payments/notifications/yookassa"


@dataclass
class Started:
    account: PersonalAccount
    payment: Payment


async def begin(
    runtime: Runtime,
    *,
    method: PaymentMethod = PaymentMethod.CARD,
    electricity: int = 100_000,
    penalty: int = 1_250,
    email: str | None = None,
    key: str = "pay-1",
) -> Started:
    customer = await create_customer(runtime.db, now=runtime.clock.now(), email=email)
    account = await create_indebted_account(runtime, owner=customer)
    assert customer.id is not None
    assert account.id is not None
    payment = await start_payment(
        runtime,
        customer_id=customer.id,
        account_id=account.id,
        electricity=electricity,
        penalty=penalty,
        state_duty=0,
        method=method,
        idempotency_key=key,
    )
    return Started(account=account, payment=payment)


async def status_of(runtime: Runtime, payment: Payment) -> tuple[PaymentStatus, datetime | None]:
    async with runtime.db.session() as session:
        row = (await session.exec(select(Payment).where(Payment.id == payment.id))).one()
        return row.status, row.paid_at


async def notify(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    return await client.post(NOTIFY, content=body, headers={"Content-Type": "application/json"})


async def test_a_card_payment_is_created_with_the_receipt_and_a_redirect(
    yookassa: LocalYooKassa, runtime: Runtime
) -> None:
    started = await begin(runtime, method=PaymentMethod.CARD)

    payment = started.payment
    assert payment.provider == "yookassa"
    assert payment.confirmation_url == (
        f"https://yoomoney.ru/checkout/payments/v2/contract?orderId={payment.provider_payment_id}"
    )
    [body] = yookassa.requests
    assert body["amount"] == {"value": "1012.50", "currency": "RUB"}
    assert body["capture"] is True
    assert body["payment_method_data"] == {"type": "bank_card"}
    assert body["confirmation"] == {"type": "redirect", "return_url": "http://127.0.0.1:8000/"}
    number = started.account.number
    assert body["receipt"]["items"] == [
        {
            "description": f"Электроэнергия, л/с {number}",
            "quantity": "1.00",
            "amount": {"value": "1000.00", "currency": "RUB"},
            "vat_code": 11,  # 22 % since 2026-01-01
            "payment_subject": "service",
            "payment_mode": "full_payment",
        },
        {
            "description": f"Пени, л/с {number}",
            "quantity": "1.00",
            "amount": {"value": "12.50", "currency": "RUB"},
            "vat_code": 1,
            "payment_subject": "another",
            "payment_mode": "full_payment",
        },
    ]


async def test_the_receipt_goes_to_a_confirmed_email_else_to_the_phone(
    yookassa: LocalYooKassa, runtime: Runtime
) -> None:
    await begin(runtime, email="payer@example.ru")
    await begin(runtime, key="pay-2")

    with_email, without = yookassa.requests
    assert with_email["receipt"]["customer"] == {"email": "payer@example.ru"}
    assert without["receipt"]["customer"]["phone"].startswith("7999")
    assert without["receipt"]["customer"]["phone"].isdigit()


async def test_an_sbp_payment_answers_the_nspk_link_of_the_qr(yookassa: LocalYooKassa, runtime: Runtime) -> None:
    started = await begin(runtime, method=PaymentMethod.SBP)

    [body] = yookassa.requests
    assert (body["payment_method_data"], body["confirmation"]) == ({"type": "sbp"}, {"type": "qr"})
    assert started.payment.confirmation_url is not None
    assert started.payment.confirmation_url.startswith("https://qr.nspk.ru/AD10")
    assert "sum=101250" in started.payment.confirmation_url


async def test_electricity_beyond_the_debt_is_an_advance_line_of_its_own(
    yookassa: LocalYooKassa, runtime: Runtime
) -> None:
    await begin(runtime, electricity=DEBT["electricity"] + 5_000, penalty=0)

    [body] = yookassa.requests
    assert [(item["amount"]["value"], item["payment_mode"], item["vat_code"]) for item in body["receipt"]["items"]] == [
        ("1842.50", "full_payment", 11),
        ("50.00", "advance", 12),  # 22/122 on an advance
    ]


async def test_a_retry_with_the_same_idempotence_key_creates_one_payment_and_another_body_is_refused(
    yookassa: LocalYooKassa, runtime: Runtime
) -> None:
    provider = runtime_provider(runtime)
    order = PaymentOrder(
        amount=10_000,
        method=PaymentMethod.SBP,
        idempotence_key="7c0c1d7e-2f36-5a4b-9f7e-0f0e0d0c0b0a",
        description="Оплата электроэнергии",
        return_url="http://127.0.0.1:8000/",
        receipt_phone="79990000001",
        items=receipt_items(
            account_number="100000001",
            electricity=10_000,
            penalty=0,
            state_duty=0,
            owed_electricity=10_000,
            on=runtime.clock.now().date(),
        ),
    )

    first = await provider.create(order)
    again = await provider.create(order)
    with pytest.raises(ProviderUnavailable):
        await provider.create(dataclasses.replace(order, description="Другое"))

    assert first == again
    assert len(yookassa.payments) == 1


async def test_wrong_credentials_start_nothing(yookassa: LocalYooKassa, runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(update={"yookassa_secret_key": "test_wrong"})
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    account = await create_indebted_account(runtime, owner=customer)
    assert customer.id is not None
    before = await snapshot(runtime, account.id)

    with pytest.raises(DomainError) as refused:
        await start_payment(
            runtime,
            customer_id=customer.id,
            account_id=account.id or 0,
            electricity=10_000,
            penalty=0,
            state_duty=0,
            method=PaymentMethod.SBP,
            idempotency_key="k",
        )

    assert refused.value.problems[0].code is ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE
    assert await snapshot(runtime, account.id) == before
    assert yookassa.payments == {}


async def test_a_success_notification_read_back_credits_once_however_often_it_comes(
    yookassa: LocalYooKassa, runtime: Runtime, app_client: httpx.AsyncClient
) -> None:
    started = await begin(runtime)
    assert started.payment.provider_payment_id is not None
    notification = yookassa.succeed(started.payment.provider_payment_id)

    first = await notify(app_client, notification)
    second = await notify(app_client, notification)

    assert (first.status_code, first.json()) == (200, {"status": "applied"})
    assert (second.status_code, second.json()) == (200, {"status": "unchanged"})
    after = await snapshot(runtime, started.account.id)
    assert after.debt == (DEBT["electricity"] - 100_000, 0, DEBT["state_duty"])
    assert after.events == 1
    assert await status_of(runtime, started.payment) == (
        PaymentStatus.SUCCEEDED,
        datetime.fromisoformat("2026-11-26T09:05:00+00:00"),
    )
    assert ("GET", f"/v3/payments/{started.payment.provider_payment_id}") in yookassa.calls


async def test_a_forged_success_for_a_payment_still_pending_credits_nothing(
    yookassa: LocalYooKassa, runtime: Runtime, app_client: httpx.AsyncClient
) -> None:
    started = await begin(runtime)
    before = await snapshot(runtime, started.account.id)
    payment = dict(yookassa.payments[started.payment.provider_payment_id or ""])
    forged = yookassa.notification("payment.succeeded", payment | {"status": "succeeded", "paid": True})

    response = await notify(app_client, forged)

    assert (response.status_code, response.json()) == (200, {"status": "unchanged"})
    after = await snapshot(runtime, started.account.id)
    assert (after.debt, after.events, after.payments) == (before.debt, before.events, before.payments)
    assert (await status_of(runtime, started.payment))[0] is PaymentStatus.PENDING


async def test_a_forged_success_for_a_payment_nobody_issued_is_404_and_credits_nothing(
    yookassa: LocalYooKassa, runtime: Runtime, app_client: httpx.AsyncClient
) -> None:
    started = await begin(runtime)
    before = await snapshot(runtime, started.account.id)
    invented = {"id": "2f3b588d-000f-5000-8000-1d6e87c7fbde", "status": "succeeded", "paid": True}

    unknown_here = await notify(app_client, yookassa.notification("payment.succeeded", invented))
    yookassa.payments.pop(started.payment.provider_payment_id or "")  # ours, but ЮKassa does not know it
    unknown_there = await notify(
        app_client,
        yookassa.notification("payment.succeeded", {"id": started.payment.provider_payment_id, "status": "succeeded"}),
    )

    assert (unknown_here.status_code, unknown_there.status_code) == (404, 404)
    after = await snapshot(runtime, started.account.id)
    assert (after.debt, after.events) == (before.debt, before.events)
    assert (await status_of(runtime, started.payment))[0] is PaymentStatus.PENDING


@pytest.mark.parametrize(
    "body",
    [b"", b"[]", b'{"type": "notification", "event": "payment.succeeded"}', b'{"event": "payment.succeeded"}'],
)
async def test_a_body_that_is_not_a_notification_is_400(
    yookassa: LocalYooKassa, app_client: httpx.AsyncClient, body: bytes
) -> None:
    response = await notify(app_client, body)

    assert response.status_code == 400


async def test_a_cancel_notification_cancels_and_keeps_the_debt(
    yookassa: LocalYooKassa, runtime: Runtime, app_client: httpx.AsyncClient
) -> None:
    started = await begin(runtime, method=PaymentMethod.SBP)
    before = await snapshot(runtime, started.account.id)

    response = await notify(app_client, yookassa.cancel(started.payment.provider_payment_id or ""))

    assert response.json() == {"status": "applied"}
    assert await status_of(runtime, started.payment) == (PaymentStatus.CANCELLED, None)
    after = await snapshot(runtime, started.account.id)
    assert (after.debt, after.events) == (before.debt, before.events + 1)


async def test_notifications_out_of_order_end_in_the_state_yookassa_reports(
    yookassa: LocalYooKassa, runtime: Runtime, app_client: httpx.AsyncClient
) -> None:
    # given: a cancel notification held up in transit, then the payment succeeded after all
    started = await begin(runtime)
    provider_id = started.payment.provider_payment_id or ""
    stale_cancel = yookassa.notification("payment.canceled", {"id": provider_id, "status": "canceled"})
    success = yookassa.succeed(provider_id)

    # when: the success arrives first, the stale cancel after it
    await notify(app_client, success)
    late = await notify(app_client, stale_cancel)

    # then
    assert late.json() == {"status": "unchanged"}
    assert (await status_of(runtime, started.payment))[0] is PaymentStatus.SUCCEEDED
    assert (await snapshot(runtime, started.account.id)).debt == (DEBT["electricity"] - 100_000, 0, DEBT["state_duty"])


async def test_a_success_arriving_after_the_timeout_cancelled_the_payment_still_credits_it(
    yookassa: LocalYooKassa, runtime: Runtime, app_client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    started = await begin(runtime)
    clock.advance(timedelta(hours=2))
    await settle_stale_payments(runtime)
    assert (await status_of(runtime, started.payment))[0] is PaymentStatus.CANCELLED

    await notify(app_client, yookassa.succeed(started.payment.provider_payment_id or ""))

    assert (await status_of(runtime, started.payment))[0] is PaymentStatus.SUCCEEDED
    assert (await snapshot(runtime, started.account.id)).debt == (DEBT["electricity"] - 100_000, 0, DEBT["state_duty"])


async def test_a_sum_other_than_ours_is_never_credited(
    yookassa: LocalYooKassa, runtime: Runtime, app_client: httpx.AsyncClient
) -> None:
    started = await begin(runtime)
    before = await snapshot(runtime, started.account.id)
    notification = yookassa.succeed(started.payment.provider_payment_id or "")
    yookassa.payments[started.payment.provider_payment_id or ""]["amount"] = {"value": "1.00", "currency": "RUB"}

    await notify(app_client, notification)

    after = await snapshot(runtime, started.account.id)
    assert (after.debt, after.events) == (before.debt, before.events)
    assert (await status_of(runtime, started.payment))[0] is PaymentStatus.PENDING


async def test_yookassa_down_answers_503_so_it_retries_and_changes_nothing(
    yookassa: LocalYooKassa, runtime: Runtime, app_client: httpx.AsyncClient
) -> None:
    started = await begin(runtime)
    notification = yookassa.succeed(started.payment.provider_payment_id or "")
    yookassa.down = True

    response = await notify(app_client, notification)

    assert response.status_code == 503
    assert (await status_of(runtime, started.payment))[0] is PaymentStatus.PENDING


async def test_the_timeout_job_settles_pending_payments_as_yookassa_reports_them(
    yookassa: LocalYooKassa, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: one paid whose notification was lost, one never paid, one ЮKassa cannot be asked about yet
    paid = await begin(runtime, key="paid")
    unpaid = await begin(runtime, key="unpaid")
    yookassa.succeed(paid.payment.provider_payment_id or "")

    # when: just before the timeout nothing is looked at; after it both are settled
    clock.advance(timedelta(minutes=runtime.settings.payment_pending_timeout_minutes))
    early = await settle_stale_payments(runtime)
    clock.advance(timedelta(seconds=1))
    settled = await settle_stale_payments(runtime)

    # then
    assert (early, settled) == (0, 2)
    assert (await status_of(runtime, paid.payment))[0] is PaymentStatus.SUCCEEDED
    assert (await status_of(runtime, unpaid.payment))[0] is PaymentStatus.CANCELLED
    assert (await snapshot(runtime, paid.account.id)).debt == (DEBT["electricity"] - 100_000, 0, DEBT["state_duty"])
    assert (await snapshot(runtime, unpaid.account.id)).debt == tuple(DEBT.values())


async def test_the_timeout_job_leaves_a_payment_pending_while_yookassa_is_down(
    yookassa: LocalYooKassa, runtime: Runtime, clock: FrozenClock
) -> None:
    started = await begin(runtime)
    yookassa.down = True
    clock.advance(timedelta(hours=3))

    settled = await settle_stale_payments(runtime)

    assert settled == 0
    assert (await status_of(runtime, started.payment))[0] is PaymentStatus.PENDING


async def test_signed_development_callbacks_cannot_settle_a_yookassa_payment(
    yookassa: LocalYooKassa, runtime: Runtime, app_client: httpx.AsyncClient
) -> None:
    from tests.support.payments import send_callback

    started = await begin(runtime)
    body = {
        "callbackId": "cb-1",
        "paymentId": started.payment.provider_payment_id,
        "status": "SUCCEEDED",
        "paidAt": "2026-11-26T10:00:00+03:00",
    }

    response = await send_callback(app_client, runtime, body, provider="yookassa")

    assert response.status_code == 404
    assert (await status_of(runtime, started.payment))[0] is PaymentStatus.PENDING

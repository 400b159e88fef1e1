"""`/pay/dev/<id>`: the development card page completes a payment through the signed callback; absent in production."""

from __future__ import annotations

import httpx
from sqlmodel import select

from models import Payment, PersonalAccount
from models.enums import PaymentMethod, PaymentStatus
from services.payments.start import start_payment
from services.platform.runtime import Runtime
from services.platform.settings import Environment
from tests.support.factories import create_customer
from tests.support.payments import DEBT, create_indebted_account, snapshot


async def card_payment(runtime: Runtime) -> tuple[PersonalAccount, Payment, str]:
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    account = await create_indebted_account(runtime, owner=customer)
    assert customer.id is not None
    assert account.id is not None
    payment = await start_payment(
        runtime,
        customer_id=customer.id,
        account_id=account.id,
        electricity=184_250,
        penalty=0,
        state_duty=0,
        method=PaymentMethod.CARD,
        idempotency_key="card",
    )
    assert payment.confirmation_url is not None
    return account, payment, payment.confirmation_url.removeprefix(runtime.settings.public_url)


async def status_of(runtime: Runtime, payment: Payment) -> PaymentStatus:
    async with runtime.db.session() as session:
        return PaymentStatus((await session.exec(select(Payment.status).where(Payment.id == payment.id))).one())


async def test_the_card_page_offers_to_pay_or_decline(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, _, path = await card_payment(runtime)

    response = await app_client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "1\u00a0842,50\u00a0₽" in response.text
    assert 'value="pay">Оплатить<' in response.text
    assert 'value="decline">Отказаться<' in response.text


async def test_paying_on_the_page_credits_the_payment_once(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    account, payment, path = await card_payment(runtime)

    first = await app_client.post(path, data={"decision": "pay"})
    again = await app_client.post(path, data={"decision": "pay"})

    assert "Оплата прошла" in first.text
    assert "Оплата прошла" in again.text
    assert await status_of(runtime, payment) is PaymentStatus.SUCCEEDED
    after = await snapshot(runtime, account.id)
    assert after.debt == (0, DEBT["penalty"], DEBT["state_duty"])
    assert (after.callbacks, after.events) == (1, 1)


async def test_declining_fails_the_payment_and_keeps_the_debt(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    account, payment, path = await card_payment(runtime)

    response = await app_client.post(path, data={"decision": "decline"})

    assert "Оплата отклонена" in response.text
    assert await status_of(runtime, payment) is PaymentStatus.FAILED
    assert (await snapshot(runtime, account.id)).debt == tuple(DEBT.values())


async def test_an_unknown_payment_or_decision_changes_nothing(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, payment, path = await card_payment(runtime)

    unknown = await app_client.get("/pay/dev/0123456789abcdef")
    odd = await app_client.post(path, data={"decision": "maybe"})

    assert (unknown.status_code, odd.status_code) == (404, 400)
    assert await status_of(runtime, payment) is PaymentStatus.PENDING


async def test_the_page_is_absent_in_production(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    account, payment, path = await card_payment(runtime)
    before = await snapshot(runtime, account.id)
    runtime.settings = runtime.settings.model_copy(update={"environment": Environment.PRODUCTION})

    shown = await app_client.get(path)
    posted = await app_client.post(path, data={"decision": "pay"})

    assert (shown.status_code, posted.status_code) == (404, 404)
    assert await status_of(runtime, payment) is PaymentStatus.PENDING
    assert await snapshot(runtime, account.id) == before

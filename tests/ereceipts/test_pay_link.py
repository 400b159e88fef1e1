"""The pay link of an e-receipt: without signing in it pays exactly the amount due of that one statement, once."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from sqlmodel import select

from models import Payment, Statement
from models.enums import PaymentStatus
from services.ereceipts.links import pay_link, pay_link_expires_at
from services.platform.clock import FrozenClock
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.ereceipts import household, issue_statement
from tests.support.yookassa import LocalYooKassa

DUE = 184_250


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def statement_link(runtime: Runtime, *, closing: int = DUE) -> tuple[Statement, str]:
    owner = await household(runtime, "owner@example.ru")
    statement = await issue_statement(runtime, owner.account, closing=closing)
    return statement, local(pay_link(statement, runtime.settings))


async def payments_of(runtime: Runtime, statement: Statement) -> list[Payment]:
    async with runtime.db.session() as session:
        return list((await session.exec(select(Payment).where(Payment.statement_id == statement.id))).all())


async def test_the_link_shows_the_masked_account_and_the_amount_due_and_nothing_else(
    app_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    statement, link = await statement_link(runtime)
    async with runtime.db.session() as session:
        number = (
            await run(
                session, sa.text("SELECT number FROM personal_account WHERE id = :id"), {"id": statement.account_id}
            )
        ).scalar_one()

    response = await app_client.get(link)

    assert response.status_code == 200
    assert f"•••••{number[-4:]}" in response.text
    assert number not in response.text
    assert "1\u00a0842,50\u00a0₽" in response.text
    assert "Оплатить до 15.11.2026" in response.text
    assert "Архангельск" not in response.text  # the address is not shown
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_paying_by_card_starts_a_payment_of_exactly_the_amount_due_and_returns_to_the_result(
    app_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    statement, link = await statement_link(runtime)

    started = await app_client.post(link, data={"method": "CARD", "email": "payer@example.ru"})
    [payment] = await payments_of(runtime, statement)
    paid = await app_client.post(local(started.headers["location"]), data={"decision": "pay"})
    result = await app_client.get(local(paid.headers["location"]))
    again = await app_client.get(link)

    assert started.status_code == 303
    assert started.headers["location"] == payment.confirmation_url
    assert (payment.amount, payment.customer_id, payment.account_id) == (DUE, None, statement.account_id)
    assert paid.status_code == 303
    assert urlsplit(paid.headers["location"]).path == f"/pay/statement/{statement.id}/result"
    assert "Квитанция оплачена" in result.text
    assert "Квитанция оплачена" in again.text
    assert "<form" not in again.text


async def test_a_paid_statement_starts_no_other_payment(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    statement, link = await statement_link(runtime)
    started = await app_client.post(link, data={"method": "CARD", "email": "payer@example.ru"})
    await app_client.post(local(started.headers["location"]), data={"decision": "pay"})

    replay = await app_client.post(link, data={"method": "SBP", "email": "payer@example.ru"})

    assert replay.status_code == 409
    assert "Эта квитанция уже оплачена" in replay.text
    assert [p.status for p in await payments_of(runtime, statement)] == [PaymentStatus.SUCCEEDED]


async def test_sbp_shows_the_qr_code_and_a_pending_payment_is_not_doubled(
    app_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    statement, link = await statement_link(runtime)

    sbp = await app_client.post(link, data={"method": "SBP", "email": "payer@example.ru"})
    same = await app_client.post(link, data={"method": "SBP", "email": "payer@example.ru"})
    card = await app_client.post(link, data={"method": "CARD", "email": "payer@example.ru"})

    assert sbp.status_code == 200
    assert "<svg" in sbp.text
    assert "https://qr.nspk.ru/" in sbp.text
    assert 'href="/pay/dev/' in sbp.text  # development: the page that completes it in a browser
    assert same.status_code == 200
    assert card.status_code == 409
    assert "Оплата этой квитанции уже начата" in card.text
    assert len(await payments_of(runtime, statement)) == 1


async def test_a_failed_payment_lets_the_payer_try_again(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    statement, link = await statement_link(runtime)
    started = await app_client.post(link, data={"method": "CARD", "email": "payer@example.ru"})
    declined = await app_client.post(local(started.headers["location"]), data={"decision": "decline"})
    result = await app_client.get(local(declined.headers["location"]))

    retried = await app_client.post(link, data={"method": "CARD", "email": "payer@example.ru"})

    assert "Оплата не прошла" in result.text
    assert retried.status_code == 303
    assert sorted(p.status for p in await payments_of(runtime, statement)) == [
        PaymentStatus.FAILED,
        PaymentStatus.PENDING,
    ]


async def test_tampered_links_are_404_and_start_nothing(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    statement, link = await statement_link(runtime)
    other, _ = await statement_link(runtime)
    expires = link.split("expires=")[1].split("&")[0]
    tampered = [
        link.replace(f"/pay/statement/{statement.id}?", f"/pay/statement/{other.id}?"),
        link.replace(f"expires={expires}", f"expires={int(expires) + 86_400}"),
        link[:-4] + "0000",
        link.split("?")[0],
    ]

    shown = [await app_client.get(candidate) for candidate in tampered]
    posted = [await app_client.post(candidate, data={"method": "CARD", "email": "a@b.ru"}) for candidate in tampered]

    assert [response.status_code for response in shown + posted] == [404] * 8
    assert await payments_of(runtime, statement) == []
    assert await payments_of(runtime, other) == []


async def test_an_expired_link_is_410_and_starts_nothing(
    app_client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    statement, link = await statement_link(runtime)
    clock.set(pay_link_expires_at(statement, runtime.settings) - timedelta(seconds=1))
    still = await app_client.get(link)
    clock.advance(timedelta(seconds=1))

    shown = await app_client.get(link)
    posted = await app_client.post(link, data={"method": "CARD", "email": "payer@example.ru"})

    assert still.status_code == 200
    assert (shown.status_code, posted.status_code) == (410, 410)
    assert await payments_of(runtime, statement) == []


async def test_a_bad_email_or_method_is_refused_and_starts_nothing(
    app_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    statement, link = await statement_link(runtime)

    bad_email = await app_client.post(link, data={"method": "CARD", "email": "not-an-email"})
    bad_method = await app_client.post(link, data={"method": "CASH_DESK", "email": "payer@example.ru"})

    assert bad_email.status_code == 400
    assert "Укажите адрес электронной почты для чека" in bad_email.text
    assert bad_method.status_code == 400
    assert await payments_of(runtime, statement) == []


async def test_a_statement_with_nothing_due_offers_no_payment(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    statement, link = await statement_link(runtime, closing=-5_000)

    shown = await app_client.get(link)
    posted = await app_client.post(link, data={"method": "CARD", "email": "payer@example.ru"})

    assert "ничего не нужно платить" in shown.text
    assert posted.status_code == 409
    assert await payments_of(runtime, statement) == []


async def test_through_yookassa_the_amount_and_the_receipt_email_are_the_statement_s_and_the_payer_s(
    app_client: httpx.AsyncClient, runtime: Runtime, yookassa: LocalYooKassa
) -> None:
    _, link = await statement_link(runtime)

    response = await app_client.post(link, data={"method": "CARD", "email": "Payer@Example.ru"})

    [body] = yookassa.requests
    assert response.status_code == 303
    assert response.headers["location"].startswith("https://yoomoney.ru/checkout/")
    assert body["amount"] == {"value": "1842.50", "currency": "RUB"}
    assert body["receipt"]["customer"] == {"email": "Payer@example.ru"}  # the domain is case-insensitive
    assert urlsplit(body["confirmation"]["return_url"]).path.endswith("/result")

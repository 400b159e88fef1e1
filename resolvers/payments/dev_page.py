"""`/pay/dev/{id}`: the development provider's card page, so the whole payment journey works in a browser.

«Оплатить» / «Отказаться» complete the payment through the same signed callback a provider would send
(services/payments/callback.py), so nothing here bypasses the rules. It exists only in development: in production,
and for a payment of any other provider, the page is 404.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape

import orjson
from sqlmodel import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from models import Payment
from models.enums import PaymentStatus
from resolvers.payments.html import not_found, page, rubles
from services.ereceipts.links import result_link
from services.payments.callback import handle_callback, sign
from services.payments.provider import DEV_PROVIDER
from services.platform.runtime import Runtime
from services.platform.settings import Environment

RETURN_LINK_TTL = timedelta(hours=1)
RESULTS = {
    PaymentStatus.SUCCEEDED: "Оплата прошла. Спасибо!",
    PaymentStatus.FAILED: "Оплата отклонена. Деньги не списаны.",
    PaymentStatus.CANCELLED: "Оплата отменена. Деньги не списаны.",
}


async def _payment(request: Request) -> Payment | None:
    runtime: Runtime = request.app.state.runtime
    provider_id = request.path_params["payment_id"]
    if runtime.settings.environment is not Environment.DEVELOPMENT or not 0 < len(provider_id) <= 100:
        return None
    async with runtime.db.session() as session:
        return (
            await session.exec(
                select(Payment).where(Payment.provider == DEV_PROVIDER, Payment.provider_payment_id == provider_id)
            )
        ).first()


def _done(payment: Payment) -> Response:
    return page("Результат оплаты", f"<p>{escape(RESULTS.get(payment.status, 'Оплата обрабатывается.'))}</p>")


async def dev_card_page(request: Request) -> Response:
    payment = await _payment(request)
    if payment is None:
        return not_found()
    if payment.status is not PaymentStatus.PENDING:
        return _done(payment)
    return page(
        "Оплата банковской картой (тестовая страница)",
        f'<p class="amount">{rubles(payment.amount)}</p>'
        '<p class="muted">Платёжный сервис для разработки: деньги не списываются.</p>'
        '<form method="post"><button name="decision" value="pay">Оплатить</button>'
        '<button name="decision" value="decline">Отказаться</button></form>',
    )


async def dev_card_decision(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    payment = await _payment(request)
    if payment is None or payment.provider_payment_id is None:
        return not_found()
    decision = (await request.form()).get("decision")
    if decision not in ("pay", "decline"):
        return page("Оплата", "<p>Выберите «Оплатить» или «Отказаться».</p>", status=400)
    now = runtime.clock.now()
    body = orjson.dumps(
        {
            "callbackId": f"dev-page:{payment.provider_payment_id}:{decision}",
            "paymentId": payment.provider_payment_id,
            "status": PaymentStatus.SUCCEEDED if decision == "pay" else PaymentStatus.FAILED,
            "paidAt": now.isoformat() if decision == "pay" else None,
        }
    )
    signature = sign(runtime.settings.payment_callback_secret, body)
    await handle_callback(runtime, provider=DEV_PROVIDER, body=body, signature=signature)
    async with runtime.db.session() as session:
        settled = await session.get(Payment, payment.id)
    assert settled is not None
    if settled.statement_id is not None:
        # Paid from an e-receipt's pay link: back to its result page, as a real card page returns to `return_url`.
        back = result_link(settled.statement_id, runtime.settings, expires_at=now + RETURN_LINK_TTL)
        return RedirectResponse(back, status_code=303)
    return _done(settled)

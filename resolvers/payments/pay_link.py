"""The pay link of an e-receipt: `/pay/statement/{id}?expires=…&signature=…` and its `/result` page. No sign-in.

GET shows the statement (account masked, amount due, due date) and a form; POST starts the payment of exactly the
amount due: a card payment redirects (303) to the provider's page, which returns to `/result`; an SBP payment shows
its QR code and link. A forged or altered link answers 404, an expired one 410; a paid statement says so and starts
nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from models import Payment
from models.enums import PaymentMethod
from resolvers.http_errors import answers_domain_errors
from resolvers.payments.html import not_found, page, rubles
from services.ereceipts.links import result_link
from services.ereceipts.pay import PayState, PayView, pay_view, start_statement_payment
from services.errors import DomainError, ErrorCode
from services.files.signing import LinkCheck, LinkKind, check_public_link, public_query
from services.payments.provider import DEV_PROVIDER
from services.payments.qr import qr_svg
from services.platform.runtime import Runtime

MONTHS = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 18


def _checked(request: Request) -> tuple[int, int] | Response:
    """(statement id, expires) of a valid link, or the page refusing it."""
    runtime: Runtime = request.app.state.runtime
    raw_id, expires = request.path_params["statement_id"], request.query_params.get("expires", "")
    signature = request.query_params.get("signature", "")
    if not (_digits(raw_id) and _digits(expires) and signature):
        return not_found()
    check = check_public_link(
        kind=LinkKind.STATEMENT_PAY,
        secret=runtime.settings.secret_key,
        object_id=int(raw_id),
        expires=int(expires),
        signature=signature,
        now=runtime.clock.now(),
    )
    if check is LinkCheck.INVALID:
        return not_found()
    if check is LinkCheck.EXPIRED:
        return page(
            "Срок действия ссылки истёк",
            "<p>Оплатите квитанцию в личном кабинете или по QR-коду на квитанции.</p>",
            status=410,
        )
    return int(raw_id), int(expires)


def _summary(view: PayView) -> str:
    return (
        f"<p>Лицевой счёт: {escape(view.masked_account)}<br>"
        f"Период: {MONTHS[view.period.month - 1]} {view.period.year} г.</p>"
        f'<p class="amount">{rubles(view.amount_due)}</p><p>Оплатить до {view.due_on:%d.%m.%Y}</p>'
    )


def _form(action: str, message: str = "") -> str:
    error = f'<p role="alert">{escape(message)}</p>' if message else ""
    return (
        f'{error}<form method="post" action="{escape(action)}">'
        '<p><label>Электронная почта для чека<br><input type="email" name="email" required></label></p>'
        '<button name="method" value="SBP">Оплатить по СБП</button>'
        '<button name="method" value="CARD">Оплатить картой</button></form>'
    )


def _payment_block(payment: Payment, result_url: str) -> str:
    link = payment.confirmation_url or ""
    if payment.method is PaymentMethod.SBP:
        how = (
            f"<p>Отсканируйте QR-код в приложении банка или откройте ссылку на телефоне:</p>{qr_svg(link)}"
            f'<p><a href="{escape(link)}">Оплатить в приложении банка</a></p>'
        )
    else:
        how = f'<p><a href="{escape(link)}">Перейти к оплате картой</a></p>'
    if payment.provider == DEV_PROVIDER and payment.provider_payment_id:
        # Development: no bank app pays the НСПК link of the development provider; its page completes the payment.
        how += f'<p><a href="/pay/dev/{escape(payment.provider_payment_id)}">Тестовая оплата (разработка)</a></p>'
    return f'{how}<p><a href="{escape(result_url)}">Я оплатил — проверить</a></p>'


def _view_page(view: PayView, *, action: str, result_url: str, message: str = "", status: int = 200) -> Response:
    notice = f'<p role="alert">{escape(message)}</p>' if message else ""
    summary = _summary(view) + (notice if view.state is not PayState.PAYABLE else "")
    if view.state is PayState.PAID:
        return page("Квитанция оплачена", f"{summary}<p>Оплата получена. Спасибо!</p>", status=status)
    if view.state is PayState.NOTHING_DUE:
        return page("Оплата квитанции", f"{summary}<p>По этой квитанции ничего не нужно платить.</p>", status=status)
    if view.state is PayState.PENDING and view.payment is not None:
        block = _payment_block(view.payment, result_url)
        return page("Оплата квитанции", f"{summary}<p>Оплата уже начата.</p>{block}", status=status)
    return page("Оплата квитанции", summary + _form(action, message), status=status)


def _urls(request: Request, statement_id: int, expires: int) -> tuple[str, str]:
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    query = public_query(
        kind=LinkKind.STATEMENT_PAY,
        secret=settings.secret_key,
        object_id=statement_id,
        expires_at=datetime.fromtimestamp(expires, tz=UTC),
    )
    action = f"/pay/statement/{statement_id}?{query}"
    return action, result_link(statement_id, settings, expires_at=datetime.fromtimestamp(expires, tz=UTC))


async def _opened(request: Request) -> tuple[PayView, str, str] | Response:
    """The statement of a checked link as the pay page shows it, with the form's action and the result page's URL;
    or the refusal (a bad or expired link, a statement that is gone)."""
    checked = _checked(request)
    if isinstance(checked, Response):
        return checked
    statement_id, expires = checked
    view = await pay_view(request.app.state.runtime, statement_id=statement_id)
    if view is None:
        return not_found()
    action, result_url = _urls(request, statement_id, expires)
    return view, action, result_url


async def statement_pay_page(request: Request) -> Response:
    opened = await _opened(request)
    if isinstance(opened, Response):
        return opened
    view, action, result_url = opened
    return _view_page(view, action=action, result_url=result_url)


async def _payment_refused(request: Request, error: DomainError) -> Response:
    """The pay page again with the refusal's message: 409 when the statement is paid, pending or owes nothing."""
    opened = await _opened(request)
    if isinstance(opened, Response):
        return opened
    view, action, result_url = opened
    status = 409 if view.state in (PayState.PAID, PayState.PENDING, PayState.NOTHING_DUE) else 400
    return _view_page(view, action=action, result_url=result_url, message=error.problems[0].message, status=status)


@answers_domain_errors(_payment_refused)
async def statement_pay_start(request: Request) -> Response:
    checked = _checked(request)
    if isinstance(checked, Response):
        return checked
    statement_id, expires = checked
    runtime: Runtime = request.app.state.runtime
    form = await request.form()
    method_value, email = form.get("method"), form.get("email")
    action, result_url = _urls(request, statement_id, expires)
    if not isinstance(method_value, str) or method_value not in PaymentMethod.__members__:
        raise DomainError.single(ErrorCode.INVALID_INPUT, "Выберите способ оплаты: СБП или карта", "method")
    payment = await start_statement_payment(
        runtime,
        statement_id=statement_id,
        method=PaymentMethod(method_value),
        email=email if isinstance(email, str) else "",
        return_url=result_url,
    )
    if payment.method is PaymentMethod.CARD and payment.confirmation_url:
        return RedirectResponse(payment.confirmation_url, status_code=303)
    view = await pay_view(runtime, statement_id=statement_id)
    assert view is not None
    return _view_page(view, action=action, result_url=result_url)


async def statement_pay_result(request: Request) -> Response:
    opened = await _opened(request)
    if isinstance(opened, Response):
        return opened
    view, action, result_url = opened
    if view.state is PayState.PENDING:
        return page(
            "Ждём подтверждения оплаты",
            f'{_summary(view)}<p>Банк ещё не подтвердил оплату. <a href="{escape(result_url)}">Обновить</a></p>',
        )
    if view.state is PayState.PAYABLE:
        return page(
            "Оплата не прошла",
            f'{_summary(view)}<p>Деньги не списаны. <a href="{escape(action)}">Попробовать снова</a></p>',
        )
    return _view_page(view, action=action, result_url=result_url)

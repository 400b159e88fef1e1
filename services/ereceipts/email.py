"""The e-receipt email, made when it is sent: the amount due and due date, a pay link, the statement's PDF attached."""

from __future__ import annotations

import asyncio
from functools import partial
from html import escape

from sqlmodel.ext.asyncio.session import AsyncSession

from models.infra import OutboundMessage
from services.billing.payee import ENERGOSBYT, SUPPLIER_NAME, SUPPLIER_PHONE
from services.billing.receipt_pdf import (
    contract_file_name,
    file_name,
    month_name,
    payment_purpose,
    render_contract_statement_pdf,
    render_statement_pdf,
    rubles,
)
from services.billing.statement_document import StatementDocument, load_statement_document
from services.ereceipts.links import pay_link
from services.messaging.compose import Composed, NothingToSend
from services.messaging.gateways import Attachment
from services.platform.runtime import Runtime


async def compose_e_receipt(runtime: Runtime, session: AsyncSession, message: OutboundMessage) -> Composed:
    if message.statement_id is None:
        raise NothingToSend("an e-receipt without a statement")
    document = await load_statement_document(session, statement_id=message.statement_id)
    if document is None:
        raise NothingToSend(f"statement {message.statement_id} is gone")
    statement, account = document.statement, document.account
    if account is None:  # a contract's delivery point: the organisation's invoice, no pay link
        return await _compose_contract_statement(document)
    due = max(statement.closing_balance, 0)
    month = month_name(statement.period)
    # Rendering takes tens of milliseconds of CPU: off the event loop.
    pdf = await asyncio.to_thread(
        partial(
            render_statement_pdf,
            statement=statement,
            account=account,
            charges=document.charges,
            payments=document.payments,
            payee=ENERGOSBYT,
        )
    )
    subject = f"Квитанция за {month}, лицевой счёт {account.number}"
    lines = [
        "Здравствуйте!",
        "",
        f"Сформирован платёжный документ за {month} по лицевому счёту {account.number}.",
    ]
    html = [f"<p>Здравствуйте!</p><p>Сформирован платёжный документ за {escape(month)} по лицевому счёту "
            f"<b>{escape(account.number)}</b>.</p>"]  # fmt: skip
    if due > 0:
        link = pay_link(statement, runtime.settings)
        lines += [
            f"К оплате: {rubles(due)} руб. до {statement.due_on:%d.%m.%Y}.",
            "",
            f"Оплатить сразу (СБП или банковской картой): {link}",
        ]
        html.append(
            f"<p>К оплате: <b>{rubles(due)}&nbsp;руб.</b> до {statement.due_on:%d.%m.%Y}.</p>"
            f'<p><a href="{escape(link)}">Оплатить</a> — по СБП или банковской картой, без входа в личный кабинет.</p>'
        )
    else:
        lines.append(f"К оплате: 0,00 руб. (переплата {rubles(-statement.closing_balance)} руб.).")
        html.append(f"<p>К оплате: 0,00&nbsp;руб. (переплата {rubles(-statement.closing_balance)}&nbsp;руб.).</p>")
    lines += ["", "Платёжный документ — во вложении (PDF).", "", f"{SUPPLIER_NAME}, тел. {SUPPLIER_PHONE}"]
    html.append(f"<p>Платёжный документ — во вложении (PDF).</p><p>{escape(SUPPLIER_NAME)}, тел. {SUPPLIER_PHONE}</p>")
    return Composed(
        subject=subject,
        text="\n".join(lines),
        html="".join(html),
        attachments=(
            Attachment(
                filename=file_name(account_number=account.number, period=statement.period),
                content_type="application/pdf",
                data=pdf,
            ),
        ),
    )


async def _compose_contract_statement(document: StatementDocument) -> Composed:
    """An organisation's statement: the invoice attached, the bank details and payment purpose; no pay link (an
    organisation pays by payment order from its own account)."""
    statement, contract, point = document.statement, document.contract, document.point
    assert contract is not None, "a delivery point's statement has its contract"
    assert point is not None
    assert point.id is not None
    due = max(statement.closing_balance, 0)
    month = month_name(statement.period)
    pdf = await asyncio.to_thread(
        partial(
            render_contract_statement_pdf,
            statement=statement,
            contract=contract,
            point=point,
            charges=document.charges,
            payee=ENERGOSBYT,
        )
    )
    purpose = payment_purpose(contract=contract, period=statement.period, vat=statement.vat)
    amount = (
        f"К оплате: {rubles(due)} руб. (в т.ч. НДС {rubles(statement.vat)} руб.) до {statement.due_on:%d.%m.%Y}."
        if due > 0
        else f"К оплате: 0,00 руб. (переплата {rubles(-statement.closing_balance)} руб.)."
    )
    payee = (
        f"Получатель: {ENERGOSBYT.name}, ИНН {ENERGOSBYT.inn}, КПП {ENERGOSBYT.kpp}, р/с {ENERGOSBYT.account}, "
        f"{ENERGOSBYT.bank_name}, БИК {ENERGOSBYT.bic}, к/с {ENERGOSBYT.correspondent_account}."
    )
    lines = [
        "Здравствуйте!",
        "",
        f"Сформирован счёт за {month} по договору № {contract.number} ({contract.holder_name}), "
        f"точка поставки «{point.name}».",
        amount,
    ]
    html = [
        f"<p>Здравствуйте!</p><p>Сформирован счёт за {escape(month)} по договору № <b>{escape(contract.number)}</b> "
        f"({escape(contract.holder_name)}), точка поставки «{escape(point.name)}».</p><p>{escape(amount)}</p>"
    ]
    if due > 0:
        lines += ["", payee, f"Назначение платежа: {purpose}"]
        html.append(f"<p>{escape(payee)}<br>Назначение платежа: {escape(purpose)}</p>")
    lines += ["", "Счёт — во вложении (PDF).", "", f"{SUPPLIER_NAME}, тел. {SUPPLIER_PHONE}"]
    html.append(f"<p>Счёт — во вложении (PDF).</p><p>{escape(SUPPLIER_NAME)}, тел. {SUPPLIER_PHONE}</p>")
    return Composed(
        subject=f"Счёт за {month}, договор № {contract.number}, {point.name}",
        text="\n".join(lines),
        html="".join(html),
        attachments=(
            Attachment(
                filename=contract_file_name(
                    contract_number=contract.number, point_id=point.id, period=statement.period
                ),
                content_type="application/pdf",
                data=pdf,
            ),
        ),
    )

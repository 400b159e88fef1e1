"""From `close-period` to a paid statement: the receipt by email over SMTP, its PDF, its pay link, the payment.

The real command closes November over the demo (whose opted-in customers get their receipts too) and the households
of this test.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from pypdf import PdfReader

from cli import close_period
from services.billing.receipt_pdf import rubles
from services.ereceipts.queue import queue_e_receipts
from services.messaging.delivery import deliver_pending
from services.messaging.gateways import make_email_gateway
from services.objects.receipts import update_receipt_delivery
from services.platform.clock import FrozenClock
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.ereceipts import household, publish_events
from tests.support.identity import SmtpInbox

AFTER_NOVEMBER = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 03:30 in Moscow on the 1st: November may be closed
PAY_LINK = re.compile(r"http://127\.0\.0\.1:8000(/pay/statement/(\d+)\?expires=\d+&signature=[0-9a-f]+)")


async def scalar(runtime: Runtime, sql: str, **params: Any) -> Any:
    async with runtime.db.session() as session:
        return (await run(session, sa.text(sql), params)).scalar_one()


def part(message: Message, content_type: str) -> bytes:
    [found] = [p for p in message.walk() if p.get_content_type() == content_type]
    payload = found.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


async def send_all(runtime: Runtime) -> None:
    """What the running server's jobs do after a close: the relay, the e-receipt handler, the delivery job."""
    await publish_events(runtime)
    await queue_e_receipts(runtime)
    await deliver_pending(runtime, batch=1_000)  # every message due: tried once each


def smtp_at(runtime: Runtime, port: int) -> None:
    # The frozen clock refills no rate bucket: the send rate is tested in tests/messaging.
    runtime.settings = runtime.settings.model_copy(update={"smtp_port": port, "email_rate_per_second": 1_000.0})
    runtime.email_gateway = make_email_gateway(runtime.settings)


async def test_close_period_emails_each_opted_in_customer_once_and_the_pay_link_pays_the_amount_due(
    app_client: httpx.AsyncClient, runtime: Runtime, smtp: SmtpInbox, clock: FrozenClock
) -> None:
    # given: an account with one customer opted in, one never and one who turned them off again (the address is
    # kept); a family sharing an address; an account nobody opted in for
    anna = await household(runtime, "anna@example.ru", None, "boris@example.ru")
    boris = anna.customers[2]
    assert boris.id is not None
    assert anna.account.id is not None
    await update_receipt_delivery(
        runtime, customer_id=boris.id, account_id=anna.account.id, electronic=False, email=None
    )
    family = await household(runtime, "family@example.ru", "family@example.ru")
    nobody = await household(runtime, None)
    async with runtime.db.session() as session:
        opted_in = sorted(
            (str(row.receipt_email), str(row.number))
            for row in await run(
                session,
                sa.text(
                    "SELECT DISTINCT link.receipt_email, account.number FROM account_link AS link"
                    " JOIN personal_account AS account ON account.id = link.account_id"
                    " WHERE link.receipt_electronic AND account.closed_on IS NULL"
                ),
            )
        )
    assert ("anna@example.ru", anna.account.number) in opted_in
    assert ("family@example.ru", family.account.number) in opted_in
    assert "boris@example.ru" not in {address for address, _ in opted_in}
    assert len(opted_in) > 10  # the demo's customers too
    clock.set(AFTER_NOVEMBER)
    working_port = runtime.settings.smtp_port

    # when: the close runs while SMTP is down, then SMTP is back; then the close is run again
    smtp_at(runtime, 1)
    await close_period(runtime, period="2026-11")
    await send_all(runtime)
    down = list(smtp.messages)
    failed_attempts = await scalar(
        runtime,
        "SELECT count(*) FROM outbound_message WHERE kind = 'E_RECEIPT' AND attempts = 1 AND status = 'PENDING'",
    )
    smtp_at(runtime, working_port)
    smtp.refusing = True  # the relay is back but busy: a temporary failure
    clock.advance(timedelta(minutes=5))
    await send_all(runtime)
    refused = smtp.refused
    smtp.refusing = False
    clock.advance(timedelta(minutes=5))
    await send_all(runtime)
    await close_period(runtime, period="2026-11")
    clock.advance(timedelta(hours=1))
    await send_all(runtime)

    # then: one receipt per opted-in customer and address, none while SMTP was down, none twice
    assert (down, failed_attempts, refused) == ([], len(opted_in), len(opted_in))
    received_mail = sorted(
        (str(message["To"]), str(make_header(decode_header(message["Subject"]))).rsplit(" ", 1)[1])
        for message in smtp.messages
    )
    assert received_mail == opted_in
    assert await scalar(runtime, "SELECT count(*) FROM statement WHERE account_id = :id", id=nobody.account.id) == 1
    links: dict[str, str] = {}
    for address, account in (("anna@example.ru", anna.account), ("family@example.ru", family.account)):
        due = await scalar(runtime, "SELECT closing_balance FROM statement WHERE account_id = :id", id=account.id)
        assert due > 0
        received = smtp.last_to(address)
        subject = str(make_header(decode_header(received["Subject"])))
        assert subject == f"Квитанция за ноябрь 2026 г., лицевой счёт {account.number}"
        text = part(received, "text/plain").decode()
        assert f"К оплате: {rubles(due)} руб." in text
        link = PAY_LINK.search(text)
        assert link is not None
        statement_id = await scalar(runtime, "SELECT id FROM statement WHERE account_id = :id", id=account.id)
        assert int(link.group(2)) == statement_id
        assert link.group(0).replace("&", "&amp;") in part(received, "text/html").decode()
        pdf = PdfReader(io.BytesIO(part(received, "application/pdf")))
        content = "".join(page.extract_text() for page in pdf.pages)
        assert f"Лицевой счёт: {account.number}" in content
        assert rubles(due) in content
        links[address] = link.group(1)

    # when: Anna opens the link from her email, without signing in, and pays by card
    pay_url = links["anna@example.ru"]
    statement_id = int(urlsplit(pay_url).path.rsplit("/", 1)[1])
    due = await scalar(runtime, "SELECT closing_balance FROM statement WHERE id = :id", id=statement_id)
    debt = "SELECT electricity + penalty FROM account_debt WHERE account_id = :id"
    owed_before = await scalar(runtime, debt, id=anna.account.id)
    shown = await app_client.get(pay_url)
    started = await app_client.post(pay_url, data={"method": "CARD", "email": "anna@example.ru"})
    amount, status = await scalar(
        runtime, "SELECT ARRAY[amount::text, status::text] FROM payment WHERE statement_id = :id", id=statement_id
    )
    card_page = urlsplit(started.headers["location"])
    paid = await app_client.post(f"{card_page.path}?{card_page.query}", data={"decision": "pay"})
    again = await app_client.get(pay_url)
    replay = await app_client.post(pay_url, data={"method": "SBP", "email": "anna@example.ru"})

    # then: a payment of exactly the amount due; afterwards the link says the statement is paid and starts nothing
    assert shown.status_code == 200
    assert f"{rubles(due).replace(' ', chr(0xA0))}\u00a0₽" in shown.text
    assert started.status_code == 303
    assert (int(amount), status) == (due, "PENDING")
    assert paid.status_code == 303
    assert "Квитанция оплачена" in again.text
    assert "<form" not in again.text
    assert replay.status_code == 409
    statuses = "SELECT array_agg(status::text) FROM payment WHERE statement_id = :id"
    assert await scalar(runtime, statuses, id=statement_id) == ["SUCCEEDED"]
    assert await scalar(runtime, debt, id=anna.account.id) == owed_before - due

"""`statement.issued` → one e-receipt per opted-in customer and address, with the PDF and a pay link; never twice."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message

import sqlalchemy as sa
from pypdf import PdfReader

from services.ereceipts.queue import queue_e_receipts
from services.messaging.delivery import deliver_pending
from services.messaging.gateways import make_email_gateway
from services.platform.clock import FrozenClock
from services.platform.database import count_statements, run
from services.platform.runtime import Runtime
from tests.support.ereceipts import household, issue_statement, publish_events, write_issued_event
from tests.support.identity import SmtpInbox

PAY_LINK = re.compile(r"http://127\.0\.0\.1:8000/pay/statement/(\d+)\?expires=\d+&signature=[0-9a-f]+")


async def queued(runtime: Runtime) -> list[tuple[int, str]]:
    async with runtime.db.session() as session:
        rows = await run(
            session,
            sa.text("SELECT statement_id, recipient FROM outbound_message WHERE kind = 'E_RECEIPT' ORDER BY recipient"),
        )
        return [(int(row.statement_id), str(row.recipient)) for row in rows]


def part(message: Message, content_type: str) -> bytes:
    [found] = [p for p in message.walk() if p.get_content_type() == content_type]
    payload = found.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


async def close_and_send(runtime: Runtime) -> None:
    await publish_events(runtime)
    await queue_e_receipts(runtime)
    await deliver_pending(runtime)


async def test_each_opted_in_customer_gets_one_receipt_with_the_pdf_and_a_pay_link(
    runtime: Runtime, smtp: SmtpInbox
) -> None:
    # given: one opted in and one opted out on an account; two family members giving the same address; nobody
    anna = await household(runtime, "anna@example.ru", None)
    family = await household(runtime, "family@example.ru", "family@example.ru")
    nobody = await household(runtime, None)
    statements = {
        "anna@example.ru": await issue_statement(runtime, anna.account, closing=184_250),
        "family@example.ru": await issue_statement(runtime, family.account, closing=99_900),
    }
    await issue_statement(runtime, nobody.account)

    # when
    await close_and_send(runtime)

    # then
    assert sorted(message["To"] for message in smtp.messages) == ["anna@example.ru", "family@example.ru"]
    for address, account, amount in (
        ("anna@example.ru", anna.account, "1 842,50"),
        ("family@example.ru", family.account, "999,00"),
    ):
        received = smtp.last_to(address)
        assert (
            str(make_header(decode_header(received["Subject"])))
            == f"Квитанция за октябрь 2026 г., лицевой счёт {account.number}"
        )
        text = part(received, "text/plain").decode()
        assert f"К оплате: {amount} руб. до 15.11.2026." in text
        link = PAY_LINK.search(text)
        assert link is not None
        assert int(link.group(1)) == statements[address].id
        assert link.group(0).replace("&", "&amp;") in part(received, "text/html").decode()
        pdf = PdfReader(io.BytesIO(part(received, "application/pdf")))
        content = "".join(page.extract_text() for page in pdf.pages)
        assert f"Лицевой счёт: {account.number}" in content
        assert amount in content


async def test_a_rerun_of_the_close_or_a_replay_of_the_events_queues_nothing_twice(runtime: Runtime) -> None:
    owner = await household(runtime, "owner@example.ru")
    statement = await issue_statement(runtime, owner.account)
    await publish_events(runtime)
    await queue_e_receipts(runtime)
    first = await queued(runtime)

    async with runtime.db.session() as session:  # the close run again writes the event again
        await write_issued_event(session, statement)
        await run(session, sa.text("UPDATE event_consumer SET position = 0"))  # and the handler replays everything
        await session.commit()
    await publish_events(runtime)
    await queue_e_receipts(runtime)

    assert first == [(statement.id, "owner@example.ru")]
    assert await queued(runtime) == first


async def test_a_delivery_retry_sends_the_receipt_once(runtime: Runtime, smtp: SmtpInbox, clock: FrozenClock) -> None:
    owner = await household(runtime, "retry@example.ru")
    await issue_statement(runtime, owner.account)
    working_port = runtime.settings.smtp_port
    runtime.settings = runtime.settings.model_copy(update={"smtp_port": 1})  # nothing listens: SMTP is down
    runtime.email_gateway = make_email_gateway(runtime.settings)
    await close_and_send(runtime)
    assert smtp.messages == []

    runtime.settings = runtime.settings.model_copy(update={"smtp_port": working_port})
    runtime.email_gateway = make_email_gateway(runtime.settings)
    clock.advance(timedelta(minutes=5))
    await deliver_pending(runtime)
    clock.advance(timedelta(hours=1))
    await deliver_pending(runtime)

    assert [message["To"] for message in smtp.messages] == ["retry@example.ru"]


async def test_queueing_a_close_costs_the_same_statements_for_one_account_as_for_many(runtime: Runtime) -> None:
    one = await household(runtime, "one@example.ru")
    await issue_statement(runtime, one.account)
    await publish_events(runtime)
    async with count_statements() as for_one:
        await queue_e_receipts(runtime)
    for index in range(20):
        many = await household(runtime, f"many{index}@example.ru")
        await issue_statement(runtime, many.account)
    await publish_events(runtime)

    async with count_statements() as for_twenty:
        await queue_e_receipts(runtime)

    assert for_twenty[0] == for_one[0]
    assert len(await queued(runtime)) == 21

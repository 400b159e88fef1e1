"""Email over real SMTP (aiosmtpd): text and HTML alternatives and a PDF attachment that opens; the rate limit."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import col, select

from models import Statement
from models.enums import DeliveryStatus, FilePurpose
from models.infra import OutboundMessage, StoredFile
from services.billing.payee import ENERGOSBYT
from services.billing.receipt_pdf import render_statement_pdf, rubles
from services.billing.statement_document import load_statement_document
from services.files.storage import new_key
from services.messaging.delivery import deliver_pending
from services.messaging.outbound import queue_email
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from services.platform.settings import EmailGateway, Settings
from tests.support.identity import SmtpInbox, local_smtp_server


@pytest.fixture
def smtp() -> Iterator[SmtpInbox]:
    with local_smtp_server() as inbox:
        yield inbox


@pytest.fixture
def settings(tmp_path: Path, smtp: SmtpInbox) -> Settings:
    return Settings(
        database_url="postgresql://unused",
        redis_url=None,
        data_dir=tmp_path / "data",
        email_gateway=EmailGateway.SMTP,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        email_rate_per_second=2,
    )


async def stored_statement_pdf(runtime: Runtime) -> tuple[int, str, int]:
    """A demo statement's PDF kept as a stored file: (file id, account number, amount due)."""
    async with runtime.db.session() as session:
        statement_id = (
            await session.exec(select(Statement.id).where(col(Statement.closing_balance) > 0).limit(1))
        ).one()
        assert statement_id is not None
        document = await load_statement_document(session, statement_id=statement_id)
        assert document is not None
        pdf = render_statement_pdf(
            statement=document.statement,
            account=document.account,
            charges=document.charges,
            payments=document.payments,
            payee=ENERGOSBYT,
        )
        key = new_key(FilePurpose.STATEMENT_PDF)
        await runtime.file_storage.put(key, pdf)
        stored = StoredFile(
            purpose=FilePurpose.STATEMENT_PDF,
            storage_key=key,
            filename="kvitanciya.pdf",
            content_type="application/pdf",
            size_bytes=len(pdf),
            sha256=hashlib.sha256(pdf).hexdigest(),
            created_at=runtime.clock.now(),
        )
        session.add(stored)
        await session.commit()
        assert stored.id is not None
        return stored.id, document.payer.number, document.statement.closing_balance


async def queue(runtime: Runtime, *, to: str, attachment: int | None = None) -> int:
    async with runtime.db.session() as session:
        message = queue_email(
            session,
            to=to,
            subject="Квитанция",
            text="Квитанция во вложении",
            html="<p>Квитанция <b>во вложении</b></p>",
            kind="TEST",
            sender=runtime.settings.email_sender,
            now=runtime.clock.now(),
            attachment_file_id=attachment,
        )
        await session.commit()
    assert message.id is not None
    return message.id


def parts(message: Message) -> dict[str, Message]:
    return {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}


async def test_an_email_carries_text_html_and_a_pdf_that_opens(runtime: Runtime, smtp: SmtpInbox) -> None:
    file_id, number, due = await stored_statement_pdf(runtime)
    await queue(runtime, to="payer@example.ru", attachment=file_id)

    await deliver_pending(runtime)

    received = smtp.last_to("payer@example.ru")
    assert received.get_content_type() == "multipart/mixed"
    found = parts(received)
    assert set(found) == {"text/plain", "text/html", "application/pdf"}
    assert found["text/plain"].get_payload(decode=True).decode().strip() == "Квитанция во вложении"  # type: ignore[union-attr]
    assert "<b>во вложении</b>" in found["text/html"].get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert found["application/pdf"].get_filename() == "kvitanciya.pdf"
    pdf = PdfReader(io.BytesIO(found["application/pdf"].get_payload(decode=True)))  # type: ignore[arg-type]
    text = "".join(page.extract_text() for page in pdf.pages)
    assert f"Лицевой счёт: {number}" in text
    assert rubles(due) in text
    assert received["Message-ID"].startswith("<lk-")


async def test_email_leaves_at_the_configured_rate_and_sms_are_not_held_up(
    runtime: Runtime, smtp: SmtpInbox, clock: FrozenClock
) -> None:
    for index in range(5):
        await queue(runtime, to=f"rate{index}@example.ru")

    first = await deliver_pending(runtime)
    same_moment = await deliver_pending(runtime)
    clock.advance(timedelta(seconds=1))
    a_second_later = await deliver_pending(runtime)

    assert (first, same_moment, a_second_later) == (2, 0, 2)
    assert len(smtp.messages) == 4
    async with runtime.db.session() as session:
        pending = (
            await session.exec(
                select(OutboundMessage).where(
                    col(OutboundMessage.recipient).startswith("rate"), OutboundMessage.status == DeliveryStatus.PENDING
                )
            )
        ).all()
    assert len(pending) == 1

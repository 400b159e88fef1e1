"""E-receipts of contracts: each customer with access to an organisation's contract chooses electronic statements;
after the close, one email per delivery point's statement and address, the invoice attached, no pay link."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from models import Contract, Customer, DeliveryPoint, Meter
from models.objects import ContractLink
from services.billing.close import close_period
from services.billing.receipt_pdf import rubles
from services.ereceipts.queue import queue_e_receipts
from services.errors import DomainError, ErrorCode
from services.messaging.delivery import deliver_pending
from services.objects.receipts import update_contract_receipts
from services.platform.clock import FrozenClock
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.ereceipts import publish_events
from tests.support.factories import create_customer
from tests.support.identity import SmtpInbox
from tests.support.objects import create_contract
from tests.support.readings import add_readings

AFTER_NOVEMBER = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
NOV = date(2026, 11, 1)


async def settings_of(runtime: Runtime, contract: Contract) -> list[tuple[int, bool, str | None]]:
    async with runtime.db.session() as session:
        rows = await run(
            session,
            sa.text(
                "SELECT customer_id, receipt_electronic, receipt_email FROM contract_link WHERE contract_id = :id"
                " ORDER BY customer_id"
            ),
            {"id": contract.id},
        )
        return [(int(row.customer_id), bool(row.receipt_electronic), row.receipt_email) for row in rows]


async def scalar(runtime: Runtime, sql: str, **params: Any) -> Any:
    async with runtime.db.session() as session:
        return (await run(session, sa.text(sql), params)).scalar_one()


def part(message: Message, content_type: str) -> bytes:
    [found] = [p for p in message.walk() if p.get_content_type() == content_type]
    payload = found.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


async def contract_with_point(runtime: Runtime, *representatives: Customer) -> tuple[Contract, DeliveryPoint]:
    now = runtime.clock.now()
    contract = await create_contract(runtime.db, now=now)
    async with runtime.db.session() as session:
        assert contract.id is not None
        point = DeliveryPoint(contract_id=contract.id, name="Склад", address="г. Архангельск, ул. Тестовая, д. 1")
        session.add(point)
        for customer in representatives:
            assert customer.id is not None
            session.add(ContractLink(customer_id=customer.id, contract_id=contract.id, linked_at=now))
        await session.flush()
        meter = Meter(
            delivery_point_id=point.id, serial=f"TEST-ORG-{point.id}", model="Меркурий 230", zone_count=1, digits=6,
            installed_on=date(2024, 1, 1),
        )  # fmt: skip
        session.add(meter)
        await session.commit()
    await add_readings(runtime.db, meter, [(date(2026, 10, 20), 1_000), (date(2026, 11, 20), 3_000)], now=now)
    return contract, point


@pytest.fixture
async def people(runtime: Runtime) -> tuple[Customer, Customer, Customer]:
    now = runtime.clock.now()
    return (
        await create_customer(runtime.db, now=now),
        await create_customer(runtime.db, now=now),
        await create_customer(runtime.db, now=now),
    )


async def test_only_a_customer_with_access_to_the_contract_sets_its_e_receipts_and_bad_input_changes_nothing(
    runtime: Runtime, people: tuple[Customer, Customer, Customer]
) -> None:
    accountant, director, stranger = people
    contract, _ = await contract_with_point(runtime, accountant, director)
    assert contract.id is not None
    assert accountant.id is not None
    assert stranger.id is not None

    link = await update_contract_receipts(
        runtime, customer_id=accountant.id, contract_id=contract.id, electronic=True, email="Buh@Example.RU"
    )
    before = await settings_of(runtime, contract)
    with pytest.raises(DomainError) as other:
        await update_contract_receipts(
            runtime, customer_id=stranger.id, contract_id=contract.id, electronic=True, email="x@example.ru"
        )
    with pytest.raises(DomainError) as missing:
        await update_contract_receipts(
            runtime, customer_id=stranger.id, contract_id=10**12, electronic=True, email="x@example.ru"
        )
    with pytest.raises(DomainError) as bad:
        await update_contract_receipts(
            runtime, customer_id=accountant.id, contract_id=contract.id, electronic=True, email="not-an-email"
        )
    with pytest.raises(DomainError) as none:
        await update_contract_receipts(
            runtime, customer_id=accountant.id, contract_id=contract.id, electronic=True, email=" "
        )

    assert (link.receipt_electronic, link.receipt_email) == (True, "Buh@example.ru")
    assert [(p.code, p.message) for p in other.value.problems] == [(p.code, p.message) for p in missing.value.problems]
    assert [p.code for p in other.value.problems] == [ErrorCode.NOT_FOUND]
    assert [p.code for p in bad.value.problems + none.value.problems] == [ErrorCode.INVALID_EMAIL] * 2
    assert await settings_of(runtime, contract) == before
    assert (director.id, False, None) in before


async def test_after_the_close_each_opted_in_representative_gets_the_invoice_once_without_a_pay_link(
    runtime: Runtime, smtp: SmtpInbox, clock: FrozenClock, people: tuple[Customer, Customer, Customer]
) -> None:
    # given: the accountant turned e-receipts on; the director turned them on and off again (the address is kept)
    accountant, director, _ = people
    contract, point = await contract_with_point(runtime, accountant, director)
    assert contract.id is not None
    assert accountant.id is not None
    assert director.id is not None
    await update_contract_receipts(
        runtime, customer_id=accountant.id, contract_id=contract.id, electronic=True, email="buh@example.ru"
    )
    await update_contract_receipts(
        runtime, customer_id=director.id, contract_id=contract.id, electronic=True, email="boss@example.ru"
    )
    await update_contract_receipts(
        runtime, customer_id=director.id, contract_id=contract.id, electronic=False, email=None
    )
    clock.set(AFTER_NOVEMBER)
    runtime.settings = runtime.settings.model_copy(update={"email_rate_per_second": 1_000.0})

    # when: the close, the handler and the delivery job run; then all of them again
    for _ in range(2):
        await close_period(db=runtime.db, period=NOV, now=clock.now())
        await publish_events(runtime)
        await queue_e_receipts(runtime)
        await deliver_pending(runtime, batch=1_000)

    # then
    statement_id, due, vat = await scalar(
        runtime,
        "SELECT ARRAY[id, closing_balance, vat] FROM statement WHERE delivery_point_id = :id AND period = :p",
        id=point.id,
        p=NOV,
    )
    assert due > vat > 0
    to_contract = [m for m in smtp.messages if m["To"] in {"buh@example.ru", "boss@example.ru"}]
    assert [m["To"] for m in to_contract] == ["buh@example.ru"]
    [received] = to_contract
    subject = str(make_header(decode_header(received["Subject"])))
    assert subject == f"Счёт за ноябрь 2026 г., договор № {contract.number}, Склад"
    text = part(received, "text/plain").decode()
    assert f"К оплате: {rubles(due)} руб. (в т.ч. НДС {rubles(vat)} руб.) до 18.12.2026." in text
    assert f"Назначение платежа: Оплата по договору № {contract.number} за электроэнергию за 11.2026" in text
    assert "/pay/statement/" not in text + part(received, "text/html").decode()
    pdf = PdfReader(io.BytesIO(part(received, "application/pdf")))
    content = "".join(page.extract_text() for page in pdf.pages)
    assert f"Договор энергоснабжения № {contract.number}" in content
    assert f"ИНН {contract.inn}" in content
    assert rubles(due) in content
    assert rubles(vat) in content
    queued = await scalar(runtime, "SELECT count(*) FROM outbound_message WHERE statement_id = :id", id=statement_id)
    assert queued == 1

"""The SMS the objects flows send, queued in the transaction of the change they report."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.identity import Customer
from services.messaging.outbound import queue_sms
from services.platform.settings import Settings

ACCOUNT_LINKED = "ACCOUNT_LINKED"
CONTRACT_ADDED = "CONTRACT_ADDED"
CONTRACT_REQUEST_REJECTED = "CONTRACT_REQUEST_REJECTED"


def _send(
    session: AsyncSession, settings: Settings, customer: Customer, *, kind: str, text: str, now: datetime
) -> None:
    queue_sms(
        session, to=customer.phone, text=text, kind=kind, sender=settings.sms_sender, now=now, customer_id=customer.id
    )


def account_linked(
    session: AsyncSession, settings: Settings, customer: Customer, *, number: str, now: datetime
) -> None:
    text = f"Сведения по лицевому счёту {number} загружены в Личный кабинет ТГК-2 Энергосбыт."
    _send(session, settings, customer, kind=ACCOUNT_LINKED, text=text, now=now)


def contract_added(
    session: AsyncSession, settings: Settings, customer: Customer, *, number: str, now: datetime
) -> None:
    text = f"Сведения по договору {number} добавлены в Личный кабинет ТГК-2 Энергосбыт."
    _send(session, settings, customer, kind=CONTRACT_ADDED, text=text, now=now)


def contract_request_rejected(
    session: AsyncSession, settings: Settings, customer: Customer, *, number: str, reason: str, now: datetime
) -> None:
    text = f"Заявка на доступ к договору {number} в Личном кабинете отклонена. Причина: {reason}"
    _send(session, settings, customer, kind=CONTRACT_REQUEST_REJECTED, text=text, now=now)

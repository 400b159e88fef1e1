"""The e-receipt setting («Настройка получения квитанций»): per linked account and per customer.

It lives on the customer's link, so each family member sharing an account chooses their own delivery and address.
"""

from __future__ import annotations

from sqlmodel import select

from models.objects import AccountLink
from services.errors import DomainError, ErrorCode
from services.identity.contacts import normalize_email
from services.objects.accounts import account_not_found
from services.platform.runtime import Runtime


async def update_receipt_delivery(
    runtime: Runtime, *, customer_id: int, account_id: int, electronic: bool, email: str | None
) -> AccountLink:
    """Turn electronic receipts on (an email is then required) or off (a given email is kept for next time)."""
    address = None
    if email is not None and email.strip():
        address = normalize_email(email)
        if address is None:
            raise DomainError.single(
                ErrorCode.INVALID_EMAIL, "Неверный адрес электронной почты. Пример: ivanov@mail.ru", "input", "email"
            )
    elif electronic:
        raise DomainError.single(
            ErrorCode.INVALID_EMAIL, "Введите адрес электронной почты для квитанций", "input", "email"
        )
    async with runtime.db.session() as session:
        link = (
            await session.exec(
                select(AccountLink)
                .where(AccountLink.customer_id == customer_id, AccountLink.account_id == account_id)
                .with_for_update()
            )
        ).first()
        if link is None:
            raise account_not_found()
        link.receipt_electronic = electronic
        if address is not None:
            link.receipt_email = address
        session.add(link)
        await session.commit()
        return link

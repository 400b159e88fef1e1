"""The e-receipt setting («Настройка получения квитанций»): per linked account or contract and per customer.

It lives on the customer's link, so each family member sharing an account (or each representative of an
organisation) chooses their own delivery and address.
"""

from __future__ import annotations

from sqlmodel import select

from models.objects import AccountLink, ContractLink
from services.errors import DomainError, ErrorCode
from services.identity.contacts import normalize_email
from services.objects.accounts import account_not_found
from services.platform.runtime import Runtime


def _address(*, electronic: bool, email: str | None) -> str | None:
    """The normalised address to keep (None: keep the one set before); refuses a bad one, or none when turning on."""
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
    return address


async def update_receipt_delivery(
    runtime: Runtime, *, customer_id: int, account_id: int, electronic: bool, email: str | None
) -> AccountLink:
    """Turn electronic receipts on (an email is then required) or off (a given email is kept for next time)."""
    address = _address(electronic=electronic, email=email)
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


def contract_not_found() -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, "Договор не найден среди ваших", "input", "contractId")


async def update_contract_receipts(
    runtime: Runtime, *, customer_id: int, contract_id: int, electronic: bool, email: str | None
) -> ContractLink:
    """The same setting for a contract the customer has access to; another's contract is a missing one."""
    address = _address(electronic=electronic, email=email)
    async with runtime.db.session() as session:
        link = (
            await session.exec(
                select(ContractLink)
                .where(ContractLink.customer_id == customer_id, ContractLink.contract_id == contract_id)
                .with_for_update()
            )
        ).first()
        if link is None:
            raise contract_not_found()
        link.receipt_electronic = electronic
        if address is not None:
            link.receipt_email = address
        session.add(link)
        await session.commit()
        return link

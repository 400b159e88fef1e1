"""The e-receipt setting («Настройка получения квитанций»): per linked account or contract and per customer.

It lives on the customer's link, so each family member sharing an account (or each representative of an
organisation) chooses their own delivery and address.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlmodel import select
from sqlmodel.sql.expression import SelectOfScalar

from models.objects import AccountLink, ContractLink
from services.errors import DomainError, ErrorCode
from services.identity.contacts import normalize_email
from services.objects.accounts import account_not_found
from services.platform.runtime import Runtime

LinkT = TypeVar("LinkT", AccountLink, ContractLink)


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


async def _set_receipts(
    runtime: Runtime,
    link_query: SelectOfScalar[LinkT],
    *,
    not_found: Callable[[], DomainError],
    electronic: bool,
    email: str | None,
) -> LinkT:
    """Turn electronic receipts on (an email is then required) or off (a given email is kept for next time) on the
    viewer's own link; no link is the object's not-found error."""
    address = _address(electronic=electronic, email=email)
    async with runtime.db.session() as session:
        link = (await session.exec(link_query.with_for_update())).first()
        if link is None:
            raise not_found()
        link.receipt_electronic = electronic
        if address is not None:
            link.receipt_email = address
        session.add(link)
        await session.commit()
        return link


async def update_receipt_delivery(
    runtime: Runtime, *, customer_id: int, account_id: int, electronic: bool, email: str | None
) -> AccountLink:
    """The e-receipt setting of one of the customer's accounts."""
    query = select(AccountLink).where(AccountLink.customer_id == customer_id, AccountLink.account_id == account_id)
    return await _set_receipts(runtime, query, not_found=account_not_found, electronic=electronic, email=email)


def contract_not_found() -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, "Договор не найден среди ваших", "input", "contractId")


async def update_contract_receipts(
    runtime: Runtime, *, customer_id: int, contract_id: int, electronic: bool, email: str | None
) -> ContractLink:
    """The same setting for a contract the customer has access to; another's contract is a missing one."""
    query = select(ContractLink).where(ContractLink.customer_id == customer_id, ContractLink.contract_id == contract_id)
    return await _set_receipts(runtime, query, not_found=contract_not_found, electronic=electronic, email=email)

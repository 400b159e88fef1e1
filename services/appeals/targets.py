"""What an appeal is about: one of the customer's accounts, contracts or tech connections, or a number typed in.

The customer may only pick objects they see in their cabinet; anything else (another customer's account, a missing
one) is refused exactly alike. A typed number that is one of their own objects is recorded as that object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AccountLink, Contract, ContractLink, Customer, PersonalAccount, TechConnection
from models.enums import AppealTargetKind
from services.errors import DomainError, ErrorCode

TARGET_FIELD = ("input", "target")
_TYPED_NUMBER = re.compile(r"[0-9A-Za-zА-Яа-яЁё./-]{1,32}")


@dataclass(frozen=True, slots=True)
class TargetChoice:
    """What the customer picked: an object of theirs (`kind` and `object_id`), or a typed `number` (kind OTHER)."""

    kind: AppealTargetKind
    object_id: int | None = None
    number: str | None = None


@dataclass(frozen=True, slots=True)
class ResolvedTarget:
    kind: AppealTargetKind
    number: str
    account_id: int | None = None
    contract_id: int | None = None
    tech_connection_id: int | None = None


def target_not_found() -> DomainError:
    return DomainError.single(
        ErrorCode.NOT_FOUND,
        "Выберите лицевой счёт, договор или заявку на техприсоединение из списка либо укажите другой номер",
        *TARGET_FIELD,
    )


def _invalid_number() -> DomainError:
    return DomainError.single(
        ErrorCode.INVALID_INPUT,
        "Укажите номер лицевого счёта, договора или заявки: цифры, буквы, дефис, не длиннее 32 символов",
        *TARGET_FIELD,
    )


async def _linked_account(session: AsyncSession, customer_id: int, *, account_id: int | None = None,
                          number: str | None = None) -> PersonalAccount | None:  # fmt: skip
    statement = (
        select(PersonalAccount)
        .join(AccountLink, col(AccountLink.account_id) == PersonalAccount.id)
        .where(AccountLink.customer_id == customer_id)
    )
    statement = (
        statement.where(PersonalAccount.id == account_id)
        if number is None
        else statement.where(PersonalAccount.number == number)
    )
    return (await session.exec(statement)).first()


async def _linked_contract(session: AsyncSession, customer_id: int, *, contract_id: int | None = None,
                           number: str | None = None) -> Contract | None:  # fmt: skip
    statement = (
        select(Contract)
        .join(ContractLink, col(ContractLink.contract_id) == Contract.id)
        .where(ContractLink.customer_id == customer_id)
    )
    statement = (
        statement.where(Contract.id == contract_id) if number is None else statement.where(Contract.number == number)
    )
    return (await session.exec(statement)).first()


async def _own_tech_connection(session: AsyncSession, customer: Customer, *, connection_id: int | None = None,
                               number: str | None = None) -> TechConnection | None:  # fmt: skip
    # The same rule as the cabinet's «Техприс» list: matched to the customer, or unmatched but sent for their phone.
    owned = (col(TechConnection.customer_id) == customer.id) | (
        col(TechConnection.customer_id).is_(None) & (col(TechConnection.applicant_phone) == customer.phone)
    )
    statement = select(TechConnection).where(owned)
    statement = (
        statement.where(TechConnection.id == connection_id)
        if number is None
        else statement.where(TechConnection.request_number == number)
    )
    return (await session.exec(statement.order_by(col(TechConnection.id)))).first()


def _of_account(account: PersonalAccount) -> ResolvedTarget:
    return ResolvedTarget(AppealTargetKind.ACCOUNT, account.number, account_id=account.id)


def _of_contract(contract: Contract) -> ResolvedTarget:
    return ResolvedTarget(AppealTargetKind.CONTRACT, contract.number, contract_id=contract.id)


def _of_connection(connection: TechConnection) -> ResolvedTarget:
    return ResolvedTarget(AppealTargetKind.TECH_CONNECTION, connection.request_number, tech_connection_id=connection.id)


def normalized_number(raw: str) -> str:
    number = "".join(raw.split())
    if not _TYPED_NUMBER.fullmatch(number):
        raise _invalid_number()
    return number


async def resolve_target(session: AsyncSession, *, customer: Customer, choice: TargetChoice) -> ResolvedTarget:
    assert customer.id is not None
    if choice.kind is AppealTargetKind.OTHER:
        number = normalized_number(choice.number or "")
        if account := await _linked_account(session, customer.id, number=number):
            return _of_account(account)
        if contract := await _linked_contract(session, customer.id, number=number):
            return _of_contract(contract)
        if connection := await _own_tech_connection(session, customer, number=number):
            return _of_connection(connection)
        return ResolvedTarget(AppealTargetKind.OTHER, number)
    if choice.object_id is None:
        raise target_not_found()
    if choice.kind is AppealTargetKind.ACCOUNT:
        if account := await _linked_account(session, customer.id, account_id=choice.object_id):
            return _of_account(account)
    elif choice.kind is AppealTargetKind.CONTRACT:
        if contract := await _linked_contract(session, customer.id, contract_id=choice.object_id):
            return _of_contract(contract)
    elif connection := await _own_tech_connection(session, customer, connection_id=choice.object_id):
        return _of_connection(connection)
    raise target_not_found()

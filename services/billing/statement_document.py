"""What a statement's payment document prints, loaded in one unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Charge, Contract, DeliveryPoint, Payment, PersonalAccount, Statement
from models.enums import PaymentStatus
from services.cabinet.periods import MonthRange


@dataclass(frozen=True, slots=True)
class StatementDocument:
    statement: Statement
    account: PersonalAccount
    charges: list[Charge]
    payments: list[Payment]  # the succeeded payments credited in the month (local time), as `paid` counts them


async def load_statement_document(session: AsyncSession, *, statement_id: int) -> StatementDocument | None:
    statement = await session.get(Statement, statement_id)
    if statement is None:
        return None
    if statement.account_id is None:
        return None  # a delivery point's statement: its document is the contract's invoice, not a household receipt
    account = await session.get(PersonalAccount, statement.account_id)
    assert account is not None, "a statement's account is deleted with it"
    charges = await session.exec(select(Charge).where(Charge.statement_id == statement_id).order_by(col(Charge.id)))
    month = MonthRange(statement.period, statement.period)
    payments = await session.exec(
        select(Payment)
        .where(
            Payment.account_id == statement.account_id,
            Payment.status == PaymentStatus.SUCCEEDED,
            col(Payment.paid_at) >= month.starts_at,
            col(Payment.paid_at) < month.ends_before,
        )
        .order_by(col(Payment.paid_at), col(Payment.id))
    )
    return StatementDocument(statement=statement, account=account, charges=list(charges), payments=list(payments))


@dataclass(frozen=True, slots=True)
class ContractStatementDocument:
    """An organisation's delivery point's statement: the invoice of its contract for the period."""

    statement: Statement
    contract: Contract
    point: DeliveryPoint
    charges: list[Charge]


async def load_contract_statement_document(
    session: AsyncSession, *, statement_id: int
) -> ContractStatementDocument | None:
    statement = await session.get(Statement, statement_id)
    if statement is None or statement.delivery_point_id is None:
        return None
    point = await session.get(DeliveryPoint, statement.delivery_point_id)
    assert point is not None, "a statement's delivery point is deleted with it"
    contract = await session.get(Contract, point.contract_id)
    assert contract is not None
    charges = await session.exec(select(Charge).where(Charge.statement_id == statement_id).order_by(col(Charge.id)))
    return ContractStatementDocument(statement=statement, contract=contract, point=point, charges=list(charges))

"""What a statement's payment document prints, loaded in one unit of work: a household's account, or an
organisation's delivery point with its contract (the payer is the organisation: its name, INN and contract number)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Charge, Contract, DeliveryPoint, Payment, PersonalAccount, Statement
from models.enums import PaymentStatus
from services.billing.receipt_pdf import DocumentPayer
from services.cabinet.periods import MonthRange


@dataclass(frozen=True, slots=True)
class StatementDocument:
    statement: Statement
    account: PersonalAccount | None  # None: a contract's delivery point
    point: DeliveryPoint | None  # the organisation's delivery point and its contract (None for an account)
    contract: Contract | None
    payer: DocumentPayer
    charges: list[Charge]
    payments: list[Payment]  # the succeeded payments credited in the month (local time), as `paid` counts them


async def load_statement_document(session: AsyncSession, *, statement_id: int) -> StatementDocument | None:
    statement = await session.get(Statement, statement_id)
    if statement is None:
        return None
    account: PersonalAccount | None = None
    point: DeliveryPoint | None = None
    contract: Contract | None = None
    if statement.account_id is not None:
        account = await session.get(PersonalAccount, statement.account_id)
        assert account is not None, "a statement's account is deleted with it"
        payer = DocumentPayer.of_account(account)
        paid_by = col(Payment.account_id) == statement.account_id
    else:
        point = await session.get(DeliveryPoint, statement.delivery_point_id)
        assert point is not None, "a statement's delivery point is deleted with it"
        contract = await session.get(Contract, point.contract_id)
        assert contract is not None, "a delivery point's contract is deleted with it"
        payer = DocumentPayer(
            number=contract.number,
            label="Договор",
            address=f"{point.name}: {point.address}",
            holder=f"{contract.holder_name}, ИНН {contract.inn}",
        )
        paid_by = col(Payment.delivery_point_id) == statement.delivery_point_id
    charges = await session.exec(select(Charge).where(Charge.statement_id == statement_id).order_by(col(Charge.id)))
    month = MonthRange(statement.period, statement.period)
    payments = await session.exec(
        select(Payment)
        .where(
            paid_by,
            Payment.status == PaymentStatus.SUCCEEDED,
            col(Payment.paid_at) >= month.starts_at,
            col(Payment.paid_at) < month.ends_before,
        )
        .order_by(col(Payment.paid_at), col(Payment.id))
    )
    return StatementDocument(
        statement=statement,
        account=account,
        point=point,
        contract=contract,
        payer=payer,
        charges=list(charges),
        payments=list(payments),
    )

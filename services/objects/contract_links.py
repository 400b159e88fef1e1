"""«Управление объектами»: a customer removes a contract from their cabinet, as they remove a personal account."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col

from models.objects import ContractLink
from services.errors import DomainError, ErrorCode
from services.platform.database import run
from services.platform.runtime import Runtime


def contract_not_found() -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, "Договор не найден среди ваших", "input", "contractId")


async def unlink_contract(runtime: Runtime, *, customer_id: int, contract_id: int) -> None:
    """Remove the customer's own link; the contract, its billing and other customers' links stay.

    Not linked to the customer (another's contract, or none at all): the same not-found error, nothing changes.
    """
    async with runtime.db.session() as session:
        result = await run(
            session,
            sa.delete(ContractLink).where(
                col(ContractLink.customer_id) == customer_id, col(ContractLink.contract_id) == contract_id
            ),
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise contract_not_found()
        await session.commit()

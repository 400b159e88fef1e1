"""Whether a customer is linked to an account or a contract: what lets them write on its objects (meters, payments)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from services.platform.database import run

_LINKED = sa.text(
    """
    SELECT EXISTS (SELECT 1 FROM account_link WHERE customer_id = :customer_id AND account_id = :account_id)
        OR EXISTS (SELECT 1 FROM contract_link WHERE customer_id = :customer_id AND contract_id = :contract_id)
    """
)


async def is_linked(
    session: AsyncSession, *, customer_id: int, account_id: int | None, contract_id: int | None
) -> bool:
    """Whether the customer is linked to the account or to the contract (either may be None)."""
    if account_id is None and contract_id is None:
        return False
    params = {"customer_id": customer_id, "account_id": account_id, "contract_id": contract_id}
    return bool((await run(session, _LINKED, params)).scalar_one())

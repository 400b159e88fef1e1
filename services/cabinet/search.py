"""Staff look accounts up by number (analysts and operators need a way in that is not a customer's link)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select

from models import PersonalAccount
from services.platform.database import Database


async def find_accounts(
    *, db: Database, number_prefix: str | None, after_number: str | None, limit: int
) -> Sequence[PersonalAccount]:
    """Accounts whose number starts with `number_prefix` (digits only), in number order after `after_number`."""
    statement = select(PersonalAccount).order_by(col(PersonalAccount.number)).limit(limit)
    if number_prefix:
        statement = statement.where(col(PersonalAccount.number).startswith(number_prefix, autoescape=True))
    if after_number is not None:
        statement = statement.where(col(PersonalAccount.number) > after_number)
    async with db.session() as session:
        return (await session.exec(statement)).all()

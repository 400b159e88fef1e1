"""Activation codes of the demo accounts: derived from the account number, so they can be printed at any time."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import TypedDict

from sqlalchemy import text

from services.demo.bulk import Row
from services.demo.periods import add_months
from services.platform.clock import Clock
from services.platform.database import Database
from services.platform.hashing import hash_activation_code

# Letters and digits that cannot be misread on paper: no 0/O, 1/I/L.
ACTIVATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ACTIVATION_CODE_LENGTH = 8
ACTIVATION_VALIDITY_MONTHS = 3
# Not a secret: anyone with the demo data may print its codes. Real codes come from billing, not from here.
_DEMO_KEY = b"tgk2-energosbyt-demo-activation-codes"

_UNLINKED_CODES = text(
    """
    SELECT account.number, code.code_hash, code.expires_at
    FROM personal_account AS account
    JOIN activation_code AS code ON code.account_id = account.id
    WHERE NOT EXISTS (SELECT 1 FROM account_link AS link WHERE link.account_id = account.id)
    ORDER BY account.number, code.issued_at DESC, code.id DESC
    """
)


class UnlinkedAccount(TypedDict):
    number: str
    activationCode: str
    expiresAt: str  # ISO 8601
    expired: bool


def demo_activation_code(number: str) -> str:
    digest = hmac.new(_DEMO_KEY, number.encode(), hashlib.sha256).digest()
    return "".join(ACTIVATION_ALPHABET[byte % len(ACTIVATION_ALPHABET)] for byte in digest[:ACTIVATION_CODE_LENGTH])


def activation_code_row(code_id: int, account_id: int, number: str, issued_at: datetime) -> Row:
    expires_at = datetime.combine(add_months(issued_at.date(), ACTIVATION_VALIDITY_MONTHS), issued_at.timetz())
    return (code_id, account_id, hash_activation_code(demo_activation_code(number)), issued_at, expires_at)


async def list_unlinked_accounts(*, db: Database, clock: Clock) -> list[UnlinkedAccount]:
    """Accounts nobody has linked, with the demo code of their newest receipt, ordered by number.

    Codes that do not come from `demo_activation_code` (issued by the real billing) are left out: nobody could print
    them.
    """
    now = clock.now()
    async with db.connection() as connection:
        rows = (await connection.execute(_UNLINKED_CODES)).all()
    accounts: list[UnlinkedAccount] = []
    seen: set[str] = set()
    for number, code_hash, expires_at in rows:
        if number in seen:
            continue
        code = demo_activation_code(number)
        if hash_activation_code(code) != code_hash:
            continue
        seen.add(number)
        accounts.append(
            UnlinkedAccount(
                number=number, activationCode=code, expiresAt=expires_at.isoformat(), expired=expires_at <= now
            )
        )
    return accounts

"""The Bank of Russia key rate: a dated table in the database (`key_rate`), extended by an admin.

Since 2016-01-01 the refinancing rate that ЖК РФ ст. 155 ч. 14 and ФЗ-35 ст. 37 п. 2 name equals the key rate
(Указание Банка России от 11.12.2015 № 3894-У).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import KeyRate


@dataclass(frozen=True, slots=True)
class KeyRateTable:
    """Rates in basis points (16 % = 1600) from their effective dates, oldest first."""

    starts: tuple[date, ...]
    rates_bp: tuple[int, ...]

    @classmethod
    def of(cls, rows: Iterable[tuple[date, int]]) -> KeyRateTable:
        ordered = sorted(rows)
        return cls(starts=tuple(day for day, _ in ordered), rates_bp=tuple(rate for _, rate in ordered))

    def rate_on(self, day: date) -> int:
        """The rate in force on `day`; a day before the table has no rate (a configuration error, not a zero)."""
        index = bisect.bisect_right(self.starts, day) - 1
        if index < 0:
            raise LookupError(f"no key rate in force on {day}: the table starts on {self.starts[:1]}")
        return self.rates_bp[index]


async def load_key_rates(session: AsyncSession) -> KeyRateTable:
    rows = await session.exec(select(col(KeyRate.valid_from), col(KeyRate.rate_bp)).order_by(col(KeyRate.valid_from)))
    return KeyRateTable.of(rows.all())


def percent_to_bp(text: str) -> int:
    """'16' or '16.5' or '16,25' → basis points; ValueError for anything else (no float rounding)."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"a key rate is a percentage such as 16.5, got {text!r}") from None
    bp = value * 100
    if not value.is_finite() or bp != bp.to_integral_value() or not 0 < bp <= 10_000:
        raise ValueError(f"a key rate is a percentage above 0 and at most 100 with at most 2 decimals, got {text!r}")
    return int(bp)


async def add_key_rate(session: AsyncSession, *, valid_from: date, rate_bp: int) -> bool:
    """Record a Bank of Russia decision; the caller commits. False when that date already has this very rate.

    A different rate for a date already in the table replaces it (a typo being corrected).
    """
    statement = (
        insert(KeyRate)
        .values(valid_from=valid_from, rate_bp=rate_bp)
        .on_conflict_do_update(
            index_elements=["valid_from"],
            set_={"rate_bp": rate_bp},
            where=col(KeyRate.rate_bp) != rate_bp,
        )
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return bool(result.rowcount)

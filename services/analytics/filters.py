"""The filters every analysts' aggregate takes: months, locality, object kind, tariff category.

Months are [period_from, period_to): first days of months, the end exclusive. The account filters become SQL
conditions on the `personal_account` row aliased `a`, with bound parameters, only for the filters that are set, so
that PostgreSQL plans each combination for what it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ObjectKind, TariffCategory
from services.errors import DomainError, ErrorCode, Problem
from services.platform.database import Database, run

MAX_MONTHS = 36
LOCAL_TZ_NAME = "Europe/Moscow"  # services.platform.clock.LOCAL_TZ, as PostgreSQL names it


@dataclass(frozen=True, slots=True)
class Filters:
    period_from: date
    period_to: date  # exclusive
    locality: str | None = None
    object_kind: ObjectKind | None = None
    tariff_category: TariffCategory | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.period_from.day != 1 or self.period_to.day != 1:
            problems.append(
                Problem(ErrorCode.INVALID_INPUT, "Период задаётся первыми числами месяцев", ("filters", "period"))
            )
        months = (self.period_to.year - self.period_from.year) * 12 + self.period_to.month - self.period_from.month
        if not 0 < months <= MAX_MONTHS:
            problems.append(
                Problem(
                    ErrorCode.INVALID_INPUT,
                    f"Период: от 1 до {MAX_MONTHS} месяцев, конец позже начала",
                    ("filters", "period"),
                )
            )
        if problems:
            raise DomainError(problems)

    def account_conditions(self, alias: str = "a") -> tuple[str, dict[str, Any]]:
        """SQL conditions on the account row `alias` (always true when no account filter is set) and their values."""
        conditions = ["true"]
        params: dict[str, Any] = {}
        if self.locality is not None:
            conditions.append(f"{alias}.locality = :locality")
            params["locality"] = self.locality
        if self.object_kind is not None:
            conditions.append(f"{alias}.object_kind = :object_kind")
            params["object_kind"] = self.object_kind.value
        if self.tariff_category is not None:
            conditions.append(f"{alias}.tariff_category = :tariff_category")
            params["tariff_category"] = self.tariff_category.value
        return " AND ".join(conditions), params

    @property
    def rolled_up(self) -> int:
        """GROUPING(locality, object_kind, tariff_category) of the CUBE rows that answer these filters."""
        return (
            (4 if self.locality is None else 0)
            | (2 if self.object_kind is None else 0)
            | (1 if self.tariff_category is None else 0)
        )

    @property
    def filters_accounts(self) -> bool:
        return self.locality is not None or self.object_kind is not None or self.tariff_category is not None

    def period_params(self) -> dict[str, Any]:
        return {"period_from": self.period_from, "period_to": self.period_to}


async def fetch(db: Database, sql: str, params: dict[str, Any]) -> Sequence[Any]:
    async with db.session() as session:
        return await _rows(session, sql, params)


async def _rows(session: AsyncSession, sql: str, params: dict[str, Any]) -> Sequence[Any]:
    return (await run(session, sa.text(sql), params)).all()

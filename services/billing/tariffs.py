"""Tariffs in force: the regional rate per kWh for a tariff group, zone scheme and zone on a period.

Rates are set by the regional tariff authority (ФЗ-35 ст. 23.1; Основы ценообразования, ПП РФ от 29.12.2011 № 1178) and
change on 1 July, so a billing month always lies within one tariff; the rate of the period's first day applies to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import TariffCategory, TariffZone
from services.platform.database import run

TariffRow = tuple[TariffCategory, int, TariffZone, int, date, date | None]


@dataclass(frozen=True, slots=True)
class TariffTable:
    rows: tuple[TariffRow, ...]
    _index: dict[tuple[TariffCategory, int, TariffZone], list[tuple[date, date | None, int]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, rows: Iterable[TariffRow]) -> TariffTable:
        table = cls(rows=tuple(rows))
        for category, zone_count, zone, rate, valid_from, valid_to in table.rows:
            table._index.setdefault((TariffCategory(category), zone_count, TariffZone(zone)), []).append(
                (valid_from, valid_to, rate)
            )
        return table

    def rate_in_force(self, *, category: TariffCategory, zone_count: int, zone: TariffZone, period: date) -> int:
        """Kopecks per kWh on `period`'s first day; LookupError when no tariff covers it."""
        for valid_from, valid_to, rate in self._index.get((category, zone_count, zone), ()):
            if valid_from <= period and (valid_to is None or period < valid_to):
                return rate
        raise LookupError(f"no tariff for {category} {zone_count}-zone {zone} on {period}")


async def load_tariffs(session: AsyncSession) -> TariffTable:
    rows = await run(
        session,
        sa.text(
            "SELECT category, zone_count, zone, rate_kopecks, valid_from, valid_to FROM tariff ORDER BY valid_from"
        ),
    )
    found: list[Any] = list(rows.all())
    return TariffTable.of((TariffCategory(row[0]), row[1], TariffZone(row[2]), row[3], row[4], row[5]) for row in found)

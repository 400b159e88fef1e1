"""Volumes for a period without readings: the monthly average, then the norm.

ПП РФ от 06.05.2011 № 354 п. 59 б) and п. 59(1): a household that sent no reading pays the monthly average of its
metered consumption (over the last 12 months here, at least 3 months of history) for at most 3 periods in a row;
п. 60: from the 4th period (or at once, with less than 3 months of history) it pays the norm (норматив потребления)
times the residents. The norms are data: the `consumption_norm` table, by object kind and residents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ConsumptionNorm
from models.enums import ChargeBasis, ObjectKind, TariffZone

AVERAGE_WINDOW_MONTHS = 12  # the average is taken over the last 12 periods
MIN_HISTORY_MONTHS = 3  # ПП № 354 п. 59(1): no average from less than 3 months of readings
MAX_AVERAGE_PERIODS = 3  # ПП № 354 п. 59 б): the average for at most 3 periods in a row
NORM_TABLE_MAX_RESIDENTS = 5  # the norm table's last row means "5 or more"
NORM_ZONE = TariffZone.SINGLE  # the norm is priced at the single-rate tariff: it has no time-of-day split


@dataclass(frozen=True, slots=True)
class NormTable:
    """kWh per resident per month by object kind and residents (1 … 5, 5 meaning five or more)."""

    per_resident: Mapping[tuple[ObjectKind, int], int]

    @classmethod
    def of(cls, rows: Iterable[tuple[ObjectKind | str, int, int]]) -> NormTable:
        return cls({(ObjectKind(kind), residents): kwh for kind, residents, kwh in rows})

    def monthly_volume(self, *, object_kind: ObjectKind, residents: int) -> int:
        """норматив × residents; an account with nobody registered pays for one (ПП № 354 п. 56(2))."""
        people = max(residents, 1)
        key = (object_kind, min(people, NORM_TABLE_MAX_RESIDENTS))
        if key not in self.per_resident:
            raise LookupError(f"no consumption norm for {object_kind} with {people} residents")
        return self.per_resident[key] * people


async def load_norms(session: AsyncSession, *, on: date) -> NormTable:
    """The norms in force on `on`: per kind and residents, the row with the latest valid_from not after it."""
    rows = await session.exec(
        select(col(ConsumptionNorm.object_kind), col(ConsumptionNorm.residents), col(ConsumptionNorm.kwh_per_resident))
        .where(col(ConsumptionNorm.valid_from) <= on)
        .order_by(col(ConsumptionNorm.valid_from))
    )
    return NormTable.of(rows.all())  # later rows overwrite earlier ones


@dataclass(frozen=True, slots=True)
class Estimate:
    basis: ChargeBasis  # AVERAGE or NORM
    volumes: dict[TariffZone, int]


def _round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def estimate_volumes(
    *,
    estimated_in_a_row: int,
    history_months: int,
    history_volumes: Mapping[TariffZone, int],
    norms: NormTable,
    object_kind: ObjectKind,
    residents: int,
) -> Estimate:
    """The volume of a period without readings.

    `estimated_in_a_row`: how many periods just before this one were billed by estimate with no reading since;
    `history_months` and `history_volumes`: metered months within the last 12 and their kWh per zone.
    """
    if estimated_in_a_row < MAX_AVERAGE_PERIODS and history_months >= MIN_HISTORY_MONTHS:
        return Estimate(
            ChargeBasis.AVERAGE,
            {zone: _round_half_up(total, history_months) for zone, total in history_volumes.items()},
        )
    return Estimate(ChargeBasis.NORM, {NORM_ZONE: norms.monthly_volume(object_kind=object_kind, residents=residents)})


# Organisations (ПП РФ от 04.05.2012 № 442): with no reading, п. 179 bills the month by replacement information (the
# average of the metered months here) for at most 2 periods in a row; from the 3rd, п. 166 bills the calculated volume,
# the delivery point's maximum capacity times the hours of the month.
ORGANISATION_AVERAGE_PERIODS = 2


def estimate_organisation_volumes(
    *,
    estimated_in_a_row: int,
    history_months: int,
    history_volumes: Mapping[TariffZone, int],
    max_capacity_kw: Decimal | None,
    hours: int,
) -> Estimate:
    averaged = history_months >= 1 and history_volumes
    if (estimated_in_a_row < ORGANISATION_AVERAGE_PERIODS or max_capacity_kw is None) and averaged:
        return Estimate(
            ChargeBasis.AVERAGE,
            {zone: _round_half_up(total, history_months) for zone, total in history_volumes.items()},
        )
    if max_capacity_kw is None:
        return Estimate(ChargeBasis.CAPACITY, {NORM_ZONE: 0})  # nothing to reckon by: the operator must act
    kwh = (max_capacity_kw * hours).to_integral_value(rounding=ROUND_HALF_UP)
    return Estimate(ChargeBasis.CAPACITY, {NORM_ZONE: int(kwh)})

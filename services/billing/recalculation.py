"""Recalculation when real readings arrive after periods billed by estimate.

ПП РФ от 06.05.2011 № 354 п. 61: once a reading arrives for periods billed by the average or the norm, the supplier
recalculates them from the real volume; the next statement carries the difference. The real volume since the last
billed reading replaces every estimate up to the reading's period: those estimates are reversed line by line (at the
rates they were billed at), and the real volume is billed in the reading's period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from models.enums import ChargeBasis, ChargeKind, TariffZone


@dataclass(frozen=True, slots=True)
class ChargeLine:
    """One line of a statement: volume × rate for a zone, or a recalculation of an earlier period."""

    zone: TariffZone
    kind: ChargeKind
    basis: ChargeBasis
    volume_kwh: int
    rate_kopecks: int
    amount: int
    recalculated_period: date | None = None


@dataclass(frozen=True, slots=True)
class EstimatedCharge:
    """A charge billed by the average or the norm that no real reading has replaced yet."""

    period: date
    zone: TariffZone
    basis: ChargeBasis
    volume_kwh: int
    rate_kopecks: int


def reverse_estimates(*, estimates: Sequence[EstimatedCharge], through: date) -> list[ChargeLine]:
    """Lines that take back the estimates of periods up to `through` (the real reading's period), oldest first."""
    return [
        ChargeLine(
            zone=item.zone,
            kind=ChargeKind.RECALCULATION,
            basis=item.basis,
            volume_kwh=-item.volume_kwh,
            rate_kopecks=item.rate_kopecks,
            amount=-item.volume_kwh * item.rate_kopecks,
            recalculated_period=item.period,
        )
        for item in sorted(estimates, key=lambda estimate: (estimate.period, estimate.zone))
        if item.period <= through
    ]


def late_real_volume(*, zone: TariffZone, volume_kwh: int, rate_kopecks: int, reading_period: date) -> ChargeLine:
    """The real volume of a reading that arrived for an already billed period, billed at that period's rate."""
    return ChargeLine(
        zone=zone,
        kind=ChargeKind.RECALCULATION,
        basis=ChargeBasis.READINGS,
        volume_kwh=volume_kwh,
        rate_kopecks=rate_kopecks,
        amount=volume_kwh * rate_kopecks,
        recalculated_period=reading_period,
    )

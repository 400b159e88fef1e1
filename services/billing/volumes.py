"""Volumes per zone from accepted readings.

ПП РФ от 06.05.2011 № 354 п. 42: a metered household pays for the volume its meter shows over the period, the
difference between the period's reading and the previous one accepted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from models.enums import TariffZone


def consumption_between(*, previous: int, current: int, digits: int) -> int:
    """kWh between two register values of a meter with `digits` whole digits.

    A value below the previous one means the register passed 10**digits and started again from 0 (wraparound); the
    readings service refuses any other decrease before a reading is accepted.
    """
    capacity = 10**digits
    if not (0 <= previous < capacity and 0 <= current < capacity):
        raise ValueError(f"register values must be 0 … {capacity - 1}")
    return current - previous if current >= previous else current + capacity - previous


@dataclass(frozen=True, slots=True)
class RegisterSpan:
    """One meter zone: the last value already billed (None for a new meter) and the newest accepted value."""

    zone: TariffZone
    digits: int
    previous: int | None
    current: int


def zone_volumes(spans: Iterable[RegisterSpan]) -> dict[TariffZone, int]:
    """kWh per zone over the account's meters (the meters of one account share a zone scheme, so zones add up).

    A new meter's first reading has nothing before it: it starts the register, 0 kWh.
    """
    volumes: dict[TariffZone, int] = {}
    for span in spans:
        used = (
            0
            if span.previous is None
            else consumption_between(previous=span.previous, current=span.current, digits=span.digits)
        )
        volumes[span.zone] = volumes.get(span.zone, 0) + used
    return volumes

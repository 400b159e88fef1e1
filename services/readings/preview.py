"""«Добавить показания» before the button is pressed: per zone the previous value, consumption, cost and problems."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from models.enums import TariffZone
from services.errors import Problem
from services.platform.runtime import Runtime
from services.readings.assessment import assess, meter_not_found, meter_removed
from services.readings.history import load_meter
from services.readings.validation import Previous, TypedValue
from services.readings.window import PeriodChoice


@dataclass(frozen=True, slots=True)
class ZonePreview:
    zone: TariffZone
    value: int | None
    previous: Previous | None
    consumption: int | None
    rate_kopecks: int | None
    problems: tuple[Problem, ...]

    @property
    def cost_kopecks(self) -> int | None:
        if self.consumption is None or self.rate_kopecks is None:
            return None
        return self.consumption * self.rate_kopecks


@dataclass(frozen=True, slots=True)
class Preview:
    choice: PeriodChoice | None
    zones: list[ZonePreview]
    problems: list[Problem]  # every problem, the per-zone ones included
    goes_to_review: bool = False
    review_reason: str | None = None

    @property
    def period(self) -> date | None:
        return self.choice.period if self.choice is not None else None


async def preview_readings(
    runtime: Runtime, *, meter_id: int, typed: Sequence[TypedValue], customer_id: int | None = None
) -> Preview:
    """Nothing is written. The caller has checked that the viewer may see the meter; `customer_id` is the customer
    who would submit (their own waiting submissions are not the previous value, see `previous_values`)."""
    async with runtime.db.session() as session:
        meter = await load_meter(session, meter_id)
        if meter is None:
            return Preview(choice=None, zones=[], problems=[meter_not_found()])
        if meter.removed_on is not None:
            return Preview(choice=None, zones=[], problems=[meter_removed()])
        found = await assess(
            session, meter=meter, typed=typed, now=runtime.clock.now(), settings=runtime.settings,
            customer_id=customer_id,
        )  # fmt: skip
    zones = [
        ZonePreview(
            zone=check.zone,
            value=check.value,
            previous=found.previous.get(check.zone),
            consumption=check.consumption,
            rate_kopecks=found.rates.get(check.zone),
            problems=check.problems,
        )
        for check in found.checks
    ]
    return Preview(
        choice=found.choice,
        zones=zones,
        problems=found.problems,
        goes_to_review=found.review_reason is not None,
        review_reason=found.review_reason,
    )

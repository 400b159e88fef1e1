"""`PersonalAccount.currentMonth`: the month so far and its forecast («сколько набежало»)."""

from __future__ import annotations

from typing import Self

import strawberry

from schema.core.scalars import KilowattHours, Kopecks
from services.billing.month_to_date import MonthToDate as MonthToDateRow
from services.billing.month_to_date import MonthToDateBasis

MonthToDateBasisEnum = strawberry.enum(
    MonthToDateBasis,
    name="MonthToDateBasis",
    description="What the month-to-date estimate rests on: the smart meter's (ИСУ) hourly profile, the last "
    "reading submitted this month, or the monthly average of the last 12 metered months.",
)


@strawberry.type(
    name="MonthToDate",
    description="The current month so far and an end-of-month forecast; an estimate, not a bill.",
)
class MonthToDate:
    based_on: MonthToDateBasisEnum  # type: ignore[valid-type]
    consumed: KilowattHours = strawberry.field(description="kWh so far this month.")
    cost: Kopecks = strawberry.field(description="Their cost at the rates in force today.")
    forecast_consumption: KilowattHours = strawberry.field(description="kWh expected for the whole month.")
    forecast_cost: Kopecks = strawberry.field(description="Their cost at the rates in force today.")

    @classmethod
    def of(cls, row: MonthToDateRow) -> Self:
        return cls(
            based_on=row.basis,
            consumed=KilowattHours(row.consumed_kwh),
            cost=Kopecks(row.cost),
            forecast_consumption=KilowattHours(row.forecast_kwh),
            forecast_cost=Kopecks(row.forecast_cost),
        )

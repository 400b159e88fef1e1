"""`Analytics`: the analysts' aggregates (services/analytics/aggregates.py), one field each, with the same filters.

Reached only through `Query.analytics` (analysts and admins). Rows carry no personal data; figures come from the
rollups, which the `analytics-rollups` job refreshes every few minutes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import strawberry

from schema.appeals.appeal import AppealStatus, AppealTopic
from schema.core.context import Info
from schema.core.enums import ObjectKind, PaymentMethod, ReadingSource, TariffCategory, TariffZone
from schema.core.errors import BadUserInputError
from schema.core.scalars import KilowattHours, Kopecks
from services.analytics import aggregates
from services.analytics.filters import Filters
from services.errors import DomainError

DebtAge = strawberry.enum(aggregates.DebtAge, name="DebtAge", description="Days past the due date.")
Season = strawberry.enum(aggregates.Season, name="Season", description="Winter is December to February.")
DayType = strawberry.enum(aggregates.DayType, name="DayType", description="Weekend: Saturday and Sunday.")


@strawberry.input(description="Months [from, to) (first days of months, at most 36) and optional account filters.")
class AnalyticsFilter:
    from_: date = strawberry.field(name="from", description="The first month (its first day).")
    to: date = strawberry.field(description="The month after the last one (its first day): the end is exclusive.")
    locality: str | None = None
    object_kind: ObjectKind | None = None
    tariff_category: TariffCategory | None = None

    def filters(self) -> Filters:
        try:
            return Filters(
                period_from=self.from_,
                period_to=self.to,
                locality=self.locality,
                object_kind=self.object_kind,
                tariff_category=self.tariff_category,
            )
        except DomainError as error:
            raise BadUserInputError(error.problems[0].message, error.problems[0].code) from None


@strawberry.type(description="Billed consumption of a month and zone.")
class ConsumptionByMonth:
    period: date
    zone: TariffZone
    accounts: int
    volume_kwh: KilowattHours


@strawberry.type(description="Charges of a month: consumption and recalculations.")
class ChargesByMonth:
    period: date
    accounts: int
    charged_kopecks: Kopecks
    recalculated_kopecks: Kopecks = strawberry.field(description="May be negative.")


@strawberry.type(description="Succeeded payments of a month (local time) by method.")
class PaymentsByMonth:
    period: date
    method: PaymentMethod
    payments: int
    amount_kopecks: Kopecks


@strawberry.type(description="Today's electricity debt of a locality by how long it is overdue.")
class DebtByAge:
    locality: str
    age: DebtAge  # type: ignore[valid-type]
    accounts: int
    debt_kopecks: Kopecks


@strawberry.type(description="Accepted readings of a billing month by source.")
class ReadingSourcesByMonth:
    period: date
    source: ReadingSource
    readings: int
    meters: int


@strawberry.type(description="Customers with an account (of the filter) and those of them who submitted readings.")
class CustomersSubmittingByMonth:
    period: date
    customers: int
    submitting: int
    share: Decimal = strawberry.field(description="submitting / customers, 4 decimals.")


@strawberry.type(description="Appeals created in the months by topic and status, with first-reply percentiles.")
class AppealsByTopic:
    topic: AppealTopic  # type: ignore[valid-type]
    status: AppealStatus  # type: ignore[valid-type]
    appeals: int
    answered: int
    first_reply_p50_seconds: int | None
    first_reply_p90_seconds: int | None


@strawberry.type(description="The mean A+ of smart meters' hours of a season, day type and local hour.")
class LoadCurvePoint:
    season: Season  # type: ignore[valid-type]
    day_type: DayType  # type: ignore[valid-type]
    hour: int
    hours: int = strawberry.field(description="Meter-hours averaged.")
    average_a_plus_wh: Decimal


T = TypeVar("T")
FilterArgument = Annotated[AnalyticsFilter, strawberry.argument(name="filter")]


async def _rows(
    output: type[T], compute: Callable[[Filters], Awaitable[list[Any]]], filter_: AnalyticsFilter
) -> list[T]:
    return [output(**dataclasses.asdict(row)) for row in await compute(filter_.filters())]


@strawberry.type(description="Aggregates for analysts, computed in SQL.")
class Analytics:
    @strawberry.field(description="Billed consumption by month and tariff zone.")
    async def consumption(self, info: Info, filter_: FilterArgument) -> list[ConsumptionByMonth]:
        db = info.context.runtime.db
        return await _rows(
            ConsumptionByMonth, lambda f: aggregates.consumption_by_month_and_zone(db=db, filters=f), filter_
        )

    @strawberry.field(description="Charges by month.")
    async def charges(self, info: Info, filter_: FilterArgument) -> list[ChargesByMonth]:
        db = info.context.runtime.db
        return await _rows(ChargesByMonth, lambda f: aggregates.charges_by_month(db=db, filters=f), filter_)

    @strawberry.field(description="Succeeded payments by month and method.")
    async def payments(self, info: Info, filter_: FilterArgument) -> list[PaymentsByMonth]:
        db = info.context.runtime.db
        return await _rows(
            PaymentsByMonth, lambda f: aggregates.payments_by_month_and_method(db=db, filters=f), filter_
        )

    @strawberry.field(description="Today's debt by age (0–30, 31–90, 91+ days overdue) and locality.")
    async def debt(self, info: Info, filter_: FilterArgument) -> list[DebtByAge]:
        runtime = info.context.runtime
        return await _rows(
            DebtByAge,
            lambda f: aggregates.debt_by_age_and_locality(db=runtime.db, clock=runtime.clock, filters=f),
            filter_,
        )

    @strawberry.field(description="Accepted readings by billing month and source.")
    async def reading_sources(self, info: Info, filter_: FilterArgument) -> list[ReadingSourcesByMonth]:
        db = info.context.runtime.db
        return await _rows(
            ReadingSourcesByMonth, lambda f: aggregates.reading_sources_by_month(db=db, filters=f), filter_
        )

    @strawberry.field(description="The share of customers submitting readings, by month.")
    async def customers_submitting(self, info: Info, filter_: FilterArgument) -> list[CustomersSubmittingByMonth]:
        db = info.context.runtime.db
        return await _rows(
            CustomersSubmittingByMonth, lambda f: aggregates.customers_submitting_by_month(db=db, filters=f), filter_
        )

    @strawberry.field(description="Appeals by topic and status with first-reply time percentiles.")
    async def appeals(self, info: Info, filter_: FilterArgument) -> list[AppealsByTopic]:
        db = info.context.runtime.db
        return await _rows(AppealsByTopic, lambda f: aggregates.appeals_by_topic_and_status(db=db, filters=f), filter_)

    @strawberry.field(description="Smart meters' average hourly A+ by season, weekday or weekend, and local hour.")
    async def load_curves(self, info: Info, filter_: FilterArgument) -> list[LoadCurvePoint]:
        db = info.context.runtime.db
        return await _rows(LoadCurvePoint, lambda f: aggregates.load_curves(db=db, filters=f), filter_)

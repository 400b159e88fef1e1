"""Smart-meter data (интеллектуальная система учёта, ИСУ) of a meter: the portal's tabs Справка, Показания, Энергия,
Мощность and Журнал.

Reached only through `Meter.isu`, so whoever may see the meter may see its data and nobody else. Time series are
columnar (a start, a step and a list per channel), because an object per hour costs several times more to serve.
Instants are UTC; the portal shows them in local time (Europe/Moscow).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry import relay

from loaders.isu import (
    HOUR,
    DailyRegistersByPoint,
    EventFilter,
    EventPagesByPoint,
    HourlyProfileByPoint,
    PowerExtremesByPoint,
)
from schema.core.access import viewer_is_analyst
from schema.core.context import Info
from schema.core.enums import ExtremeKind, IsuEventCategory, PowerQuantity, TariffScale
from schema.core.errors import BadUserInputError
from schema.core.pages import TIME_ID, page_args
from schema.core.pagination import encode_cursor
from schema.core.scalars import WattHours
from services.cabinet.masking import mask_address
from services.errors import ErrorCode
from services.platform.clock import LOCAL_TZ

if TYPE_CHECKING:
    from schema.readings.meter import Meter

MAX_PROFILE_DAYS = 366
MAX_REGISTER_DAYS = 400


@strawberry.type(description="Registers of one scale at 00:00 local time of each day, a list per channel.")
class IsuScaleRegisters:
    scale: TariffScale
    a_plus_wh: list[WattHours | None] = strawberry.field(
        description="A+ active import, Wh; null for a day with no register."
    )
    a_minus_wh: list[WattHours | None] = strawberry.field(description="A− active export, Wh.")
    r_plus_varh: list[WattHours | None] = strawberry.field(description="R+ reactive import, varh.")
    r_minus_varh: list[WattHours | None] = strawberry.field(description="R− reactive export, varh.")


@strawberry.type(description="The daily register profile («Показания»): entry i of every list is day start + i.")
class IsuDailyRegisters:
    start: date
    step_days: int = strawberry.field(description="Always 1.")
    days: list[date] = strawberry.field(description="The days, for convenience: start, start + 1, … to.")
    scales: list[IsuScaleRegisters] = strawberry.field(
        description="The scales that have data (or the one asked for), TOTAL first."
    )


@strawberry.type(
    description="The hourly profile («Энергия»): entry i of every list is the energy of the hour starting at "
    "start + i × stepMinutes (UTC instants; show them in Europe/Moscow time). null where an hour is missing."
)
class IsuHourlyProfile:
    start: datetime
    step_minutes: int = strawberry.field(description="Always 60.")
    a_plus_wh: list[int | None] = strawberry.field(description="A+ active import per hour, Wh.")
    a_minus_wh: list[int | None] = strawberry.field(description="A− active export per hour, Wh.")
    r_plus_varh: list[int | None] = strawberry.field(description="R+ reactive import per hour, varh.")
    r_minus_varh: list[int | None] = strawberry.field(description="R− reactive export per hour, varh.")


@strawberry.type(description="A maximum or minimum of P, Q or S within a month, with when it happened («Мощность»).")
class IsuPowerExtreme:
    period: date = strawberry.field(description="The month (its first day).")
    quantity: PowerQuantity
    kind: ExtremeKind
    value: int = strawberry.field(description="W for ACTIVE, var for REACTIVE, VA for APPARENT.")
    occurred_at: datetime


@strawberry.type(description="An entry of the meter's event journal («Журнал»).")
class IsuEvent:
    occurred_at: datetime
    category: IsuEventCategory
    code: int = strawberry.field(description="The meter's event code within the category.")
    description: str = strawberry.field(description="What happened, in Russian, e.g. «Вскрытие крышки».")


@strawberry.type
class IsuEventEdge:
    cursor: str
    node: IsuEvent


@strawberry.type(description="A page of the event journal, newest first.")
class IsuEventConnection:
    edges: list[IsuEventEdge]
    page_info: relay.PageInfo


@strawberry.type(description="A smart meter's metering point (точка учёта) and its ИСУ data; «Справка» fields first.")
class IsuPoint:
    point_id: strawberry.Private[int]
    owner: strawberry.Private[Meter]
    code: str = strawberry.field(description="The metering point code (код точки учёта).")
    delivery_point_code: str = strawberry.field(description="The delivery point code (код точки поставки).")
    raw_address: strawberry.Private[str]
    current_ratio: int = strawberry.field(description="The current transformer ratio (коэффициент ТТ); 1 without one.")
    voltage_ratio: int = strawberry.field(description="The voltage transformer ratio (коэффициент ТН); 1 without one.")
    connected_on: date = strawberry.field(description="When the meter was connected to the ИСУ.")
    max_power_kw: Decimal | None = strawberry.field(description="The permitted maximum power, kW.")

    @classmethod
    def from_row(cls, row: Any, meter: Meter) -> IsuPoint:
        return cls(
            point_id=row.id,
            owner=meter,
            code=row.code,
            delivery_point_code=row.delivery_point_code,
            raw_address=row.address,
            current_ratio=row.current_ratio,
            voltage_ratio=row.voltage_ratio,
            connected_on=row.connected_on,
            max_power_kw=row.max_power_kw,
        )

    @strawberry.field(description="The address of the metering point; analysts see it up to the street.")
    def address(self, info: Info) -> str:
        return mask_address(self.raw_address) if viewer_is_analyst(info) else self.raw_address

    @strawberry.field(description="The meter (its serial and model).")
    def meter(self) -> Annotated[Meter, strawberry.lazy("schema.readings.meter")]:
        return self.owner

    @strawberry.field(description=f"Registers per day from `from` to `to` inclusive, at most {MAX_REGISTER_DAYS} days.")
    async def daily_registers(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        scale: TariffScale | None = None,
    ) -> IsuDailyRegisters:
        if to < from_:
            raise BadUserInputError("Дата окончания должна быть не раньше даты начала", ErrorCode.INVALID_INPUT)
        if (to - from_).days + 1 > MAX_REGISTER_DAYS:
            raise BadUserInputError(
                f"Показания можно запросить не более чем за {MAX_REGISTER_DAYS} дней; сократите период",
                ErrorCode.INVALID_INPUT,
            )
        registers = await info.context.loaders.get(DailyRegistersByPoint).load((self.point_id, from_, to, scale))
        return IsuDailyRegisters(
            start=registers.start,
            step_days=1,
            days=[registers.start + timedelta(days=index) for index in range(registers.days)],
            # The loader's int columns are the scalar's values: WattHours is a NewType of int.
            scales=[
                IsuScaleRegisters(scale=each, **cast("dict[str, Any]", channels))
                for each, channels in registers.scales.items()
            ],
        )

    @strawberry.field(
        description=f"Energy per hour in [from, to), at most {MAX_PROFILE_DAYS} days; `from` is rounded down to the "
        "hour. A time without an offset is taken as Moscow time."
    )
    async def hourly_profile(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> IsuHourlyProfile:
        start, end = _instant(from_).replace(minute=0, second=0, microsecond=0), _instant(to)
        if end <= start:
            raise BadUserInputError("Время окончания должно быть позже времени начала", ErrorCode.INVALID_INPUT)
        if end - start > timedelta(days=MAX_PROFILE_DAYS):
            raise BadUserInputError(
                f"Почасовой профиль можно запросить не более чем за {MAX_PROFILE_DAYS} дней; сократите период",
                ErrorCode.INVALID_INPUT,
            )
        hours = -((start - end) // HOUR)  # whole hours, the last one possibly cut by `to`
        profile = await info.context.loaders.get(HourlyProfileByPoint).load((self.point_id, start, hours))
        return IsuHourlyProfile(start=profile.start, step_minutes=60, **profile.channels)

    @strawberry.field(description="Power extremes of the months from `from`'s month to `to`'s, oldest first.")
    async def power_extremes(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> list[IsuPowerExtreme]:
        if to < from_:
            raise BadUserInputError("Дата окончания должна быть не раньше даты начала", ErrorCode.INVALID_INPUT)
        rows = await info.context.loaders.get(PowerExtremesByPoint).load((self.point_id, from_.replace(day=1), to))
        return [
            IsuPowerExtreme(
                period=row.period, quantity=row.quantity, kind=row.kind, value=row.value, occurred_at=row.occurred_at
            )
            for row in rows
        ]

    @strawberry.field(description="The event journal in [from, to), newest first.")
    async def events(
        self,
        info: Info,
        *,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        category: IsuEventCategory | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> IsuEventConnection:
        event_filter = EventFilter(
            page=page_args(first=first, after=after, cursor=TIME_ID),
            since=_instant(from_) if from_ is not None else None,
            until=_instant(to) if to is not None else None,
            category=category,
        )
        rows = await info.context.loaders.get(EventPagesByPoint).load((self.point_id, event_filter))
        size = event_filter.page.first
        edges = [
            IsuEventEdge(
                cursor=encode_cursor((row.occurred_at, row.id)),
                node=IsuEvent(
                    occurred_at=row.occurred_at, category=row.category, code=row.code, description=row.description
                ),
            )
            for row in rows[:size]
        ]
        return IsuEventConnection(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=len(rows) > size,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


def _instant(moment: datetime) -> datetime:
    """A UTC instant; a time given without an offset is Moscow time, as the portal shows it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(UTC)

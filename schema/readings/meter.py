"""`Meter` (прибор учёта) on a personal account or on a contract's delivery point."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Self

import orjson
import strawberry
from strawberry import relay

from loaders.metering import LastReadingsByMeter, MeterById, ReadingPagesByMeter, SubmissionPagesByMeter
from loaders.pages import table_of
from models import Meter as MeterModel
from models.enums import ZONES_BY_COUNT
from models.enums import ReadingStatus as ReadingStatusEnum
from models.enums import TariffZone as TariffZoneEnum
from schema.core.compiled.sql_tree import Leaf, Paged, Relation, declare
from schema.core.context import Info
from schema.core.enums import TariffZone
from schema.core.nodes import RowNode
from schema.core.period import PeriodFilter
from schema.readings.pages import READING_CURSOR, reading_page, reading_pages, submission_page
from schema.readings.reading import Reading, ReadingSubmission

if TYPE_CHECKING:
    from schema.cabinet.account import PersonalAccount
    from schema.isu.types import IsuPoint
    from schema.objects.delivery_point import DeliveryPoint


@strawberry.type(name="Meter", description="A meter (прибор учёта, ПУ), e.g. 007791062066340 - CE 101 R5 145.")
class Meter(RowNode):
    node_loader = MeterById
    account_id: strawberry.Private[int | None]
    delivery_point_id: strawberry.Private[int | None]
    serial: str = strawberry.field(description="The serial number (заводской номер).")
    model: str = strawberry.field(description="The model, e.g. CE 101 R5 145.")
    zone_count: int = strawberry.field(description="How many zones of the day it counts: 1, 2 or 3.")
    zones: list[TariffZone] = strawberry.field(description="Its zones, in the order they are shown.")
    digits: int = strawberry.field(description="Register capacity in whole digits: values 0 … 10^digits − 1.")
    verification_due_on: date | None = strawberry.field(description="When the next verification (поверка) is due.")
    is_smart: bool = strawberry.field(description="Whether it is a smart (ИСУ) meter.")
    installed_on: date
    removed_on: date | None

    @classmethod
    def from_row(cls, row: Any) -> Self:
        zones: tuple[TariffZoneEnum, ...] = ZONES_BY_COUNT[row.zone_count]
        return cls(
            row_id=row.id,
            account_id=row.account_id,
            delivery_point_id=row.delivery_point_id,
            serial=row.serial,
            model=row.model,
            zone_count=row.zone_count,
            zones=list(zones),
            digits=row.digits,
            verification_due_on=row.verification_due_on,
            is_smart=row.is_smart,
            installed_on=row.installed_on,
            removed_on=row.removed_on,
        )

    @strawberry.field(description="The last accepted reading of each zone, with its date and source.")
    async def last_readings(self, info: Info) -> list[Reading]:
        rows = await info.context.loaders.get(LastReadingsByMeter).load(self.row_id)
        by_zone = {row.zone: row for row in rows}
        return [Reading.from_row(by_zone[zone]) for zone in ZONES_BY_COUNT[self.zone_count] if zone in by_zone]

    @strawberry.field(description="Accepted readings («Принятые»), the latest first.")
    async def readings(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        period: PeriodFilter | None = None,
    ) -> relay.Connection[Reading]:
        return await reading_page(info, ReadingPagesByMeter, self.row_id, first=first, after=after, period=period)

    @strawberry.field(description="Submitted readings («Переданные»), the latest first.")
    async def reading_submissions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        period: PeriodFilter | None = None,
    ) -> relay.Connection[ReadingSubmission]:
        return await submission_page(info, SubmissionPagesByMeter, self.row_id, first=first, after=after, period=period)

    @strawberry.field(description="The personal account the meter is on (null on a contract's delivery point).")
    async def account(self, info: Info) -> Annotated[PersonalAccount, strawberry.lazy("schema.cabinet.account")] | None:
        from loaders.objects import AccountById
        from schema.cabinet.account import PersonalAccount

        if self.account_id is None:
            return None
        model = await info.context.loaders.get(AccountById).load(self.account_id)
        return PersonalAccount.from_row(model) if model is not None else None

    @strawberry.field(description="The contract's delivery point the meter is on (null on a personal account).")
    async def delivery_point(
        self, info: Info
    ) -> Annotated[DeliveryPoint, strawberry.lazy("schema.objects.delivery_point")] | None:
        from loaders.supply import DeliveryPointById
        from schema.objects.delivery_point import DeliveryPoint

        if self.delivery_point_id is None:
            return None
        row = await info.context.loaders.get(DeliveryPointById).load(self.delivery_point_id)
        return DeliveryPoint.from_row(row) if row is not None else None

    @strawberry.field(
        description="Smart-meter data (ИСУ): the metering point and its profiles; null for a meter that is not smart."
    )
    async def isu(self, info: Info) -> Annotated[IsuPoint, strawberry.lazy("schema.isu.types")] | None:
        from loaders.isu import MeteringPointByMeter
        from schema.isu.types import IsuPoint

        if not self.is_smart:
            return None
        row = await info.context.loaders.get(MeteringPointByMeter).load(self.row_id)
        return IsuPoint.from_row(row, self) if row is not None else None


def _text(zone: TariffZoneEnum) -> str:
    return f"'{zone.value}'"


# A meter's zones by its zone count, in the order they are shown (ZONES_BY_COUNT): their names as the GraphQL enum
# writes them, and their stored values as an SQL array (a meter's zone count is 1, 2 or 3: a check constraint).
_ZONE_NAMES = " ".join(
    f"WHEN {count} THEN '{orjson.dumps([zone.name for zone in zones]).decode()}'::json"
    for count, zones in ZONES_BY_COUNT.items()
)
_ZONE_VALUES = " ".join(
    f"WHEN {count} THEN ARRAY[{', '.join(map(_text, zones))}]" for count, zones in ZONES_BY_COUNT.items()
)

# The meter's plain fields, zones, last readings and pages of readings in SQL (schema/core/compiled/sql_tree.py).
declare(
    Meter,
    table_of(MeterModel),
    id=Leaf(global_id=True),
    serial=Leaf("serial"),
    model=Leaf("model"),
    zone_count=Leaf("zone_count"),
    digits=Leaf("digits"),
    verification_due_on=Leaf("verification_due_on"),
    is_smart=Leaf("is_smart"),
    installed_on=Leaf("installed_on"),
    removed_on=Leaf("removed_on"),
    zones=Leaf(sql=f"CASE {{t}}.zone_count {_ZONE_NAMES} END", nullable=False),
    # As LastReadingsByMeter and `last_readings`: each zone's latest accepted reading, in the zones' order.
    last_readings=Relation(
        "many",
        "(SELECT DISTINCT ON (r.zone) r.* FROM reading r "
        f"WHERE r.meter_id = {{p}}.id AND r.status = '{ReadingStatusEnum.ACCEPTED.value}' "
        f"ORDER BY r.zone, r.taken_on DESC, r.id DESC) AS {{t}} "
        f"WHERE {{t}}.zone = ANY(CASE {{p}}.zone_count {_ZONE_VALUES} END)",
        order=f"array_position(CASE {{p}}.zone_count {_ZONE_VALUES} END, {{t}}.zone::text)",
    ),
    readings=Relation(  # as ReadingPagesByMeter: accepted, the latest first
        "page",
        f"reading {{t}} WHERE {{t}}.meter_id = {{p}}.id AND {{t}}.status = '{ReadingStatusEnum.ACCEPTED.value}'",
        order="{t}.taken_on DESC, {t}.id DESC",
        paged=Paged(args=reading_pages, cursor=READING_CURSOR, months=("{t}.period", "between", "date")),
    ),
)

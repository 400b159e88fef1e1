"""Accepted readings («Принятые» показания) and what customers submitted («Переданные»)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry

from loaders.metering import MeterById, ReadingById, SubmissionById, SubmittedValuesBySubmission
from loaders.pages import table_of
from models import Reading as ReadingModel
from schema.core.compiled.prefetched import NOT_PREFETCHED, read_when_prefetched
from schema.core.compiled.sql_tree import Leaf, Relation, declare
from schema.core.context import Info
from schema.core.enums import ReadingSource, ReadingStatus, SubmissionStatus, TariffZone
from schema.core.nodes import RowNode
from schema.core.ownership import Owner
from schema.core.scalars import KilowattHours
from schema.core.selection import selects

if TYPE_CHECKING:
    from schema.readings.meter import Meter


async def _meter(info: Info, meter_id: int) -> Meter | None:
    from schema.readings.meter import Meter

    row = await info.context.loaders.get(MeterById).load(meter_id)
    return Meter.from_row(row) if row is not None else None


@strawberry.type(name="Reading", description="An accepted reading of one zone of a meter (принятое показание).")
class Reading(RowNode):
    node_loader = ReadingById
    meter_id: strawberry.Private[int]
    zone: TariffZone
    value: int = strawberry.field(description="The register value, whole kWh.")
    taken_on: date = strawberry.field(description="The date of the reading (дата показания).")
    period: date = strawberry.field(description="The billing month it counts toward (its first day).")
    source: ReadingSource
    status: ReadingStatus
    meter_node: strawberry.Private[Any | None] = None  # prefetched by `with_meters`, shared by a meter's readings

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            row_id=row.id,
            meter_id=row.meter_id,
            zone=row.zone,
            value=row.value,
            taken_on=row.taken_on,
            period=row.period,
            source=row.source,
            status=row.status,
        )

    @strawberry.field(description="The meter the reading was taken from.")
    @read_when_prefetched(lambda reading: NOT_PREFETCHED if reading.meter_node is None else reading.meter_node)
    def meter(self, info: Info) -> Annotated[Meter, strawberry.lazy("schema.readings.meter")] | None:
        # Sync: a page's meters are usually prefetched (no task per reading); else the loader's awaitable.
        if self.meter_node is not None:
            return self.meter_node  # type: ignore[no-any-return]
        return _meter(info, self.meter_id)  # type: ignore[return-value]

    @classmethod
    async def with_meters(cls, info: Info, readings: list[Self], *, under: tuple[str, ...] = ()) -> list[Self]:
        """Fetch the meters of all `readings` at once when the client selected them."""
        if readings and selects(info, *under, "meter"):
            from schema.readings.meter import Meter

            meter_ids = sorted({reading.meter_id for reading in readings})
            rows = await info.context.loaders.get(MeterById).load_many(meter_ids)
            by_id = {row.id: Meter.from_row(row) for row in rows if row is not None}  # one node per meter
            for reading in readings:
                reading.meter_node = by_id.get(reading.meter_id)
        return readings


declare(
    Reading,
    table_of(ReadingModel),
    id=Leaf(global_id=True),
    zone=Leaf("zone"),
    value=Leaf("value"),
    taken_on=Leaf("taken_on"),
    period=Leaf("period"),
    source=Leaf("source"),
    status=Leaf("status"),
    meter=Relation("one", "meter {t} WHERE {t}.id = {p}.meter_id"),  # as MeterById: removed meters too
)


@strawberry.type(name="SubmittedValue", description="One zone's value of a submitted reading.")
class SubmittedValue:
    zone: TariffZone
    value: int = strawberry.field(description="The register value as submitted, whole kWh.")
    consumption: KilowattHours = strawberry.field(description="kWh since the previous accepted value (расход).")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(zone=row.zone, value=row.value, consumption=row.consumption)


def _submission_owner(row: Any) -> Owner:
    return row.meter_account_id, row.contract_id


@strawberry.type(
    name="ReadingSubmission",
    description="A reading a customer submitted for a meter (переданное показание): one value per zone.",
)
class ReadingSubmission(RowNode):
    node_loader = SubmissionById
    node_owner = _submission_owner
    meter_id: strawberry.Private[int]
    status: SubmissionStatus
    reason: str | None = strawberry.field(description="Why it was rejected or sent to review.")
    period: date = strawberry.field(description="The billing month it counts toward (its first day).")
    submitted_at: datetime = strawberry.field(description="When it was submitted (дата создания).")
    status_changed_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            row_id=row.id,
            meter_id=row.meter_id,
            status=row.status,
            reason=row.reason,
            period=row.period,
            submitted_at=row.submitted_at,
            status_changed_at=row.status_changed_at,
        )

    @strawberry.field(description="The submitted value of each zone.")
    async def values(self, info: Info) -> list[SubmittedValue]:
        rows = await info.context.loaders.get(SubmittedValuesBySubmission).load(self.row_id)
        return [SubmittedValue.from_row(row) for row in rows]

    @strawberry.field(description="The meter the reading was submitted for.")
    async def meter(self, info: Info) -> Annotated[Meter, strawberry.lazy("schema.readings.meter")] | None:
        return await _meter(info, self.meter_id)

"""What the readings resolvers share: finding a meter the viewer may see, and the typed values."""

from __future__ import annotations

from strawberry import relay

from loaders.metering import MeterById
from schema.core.context import Info
from schema.core.ids import node_pk
from schema.core.ownership import account_or_contract, visible_rows
from schema.readings.inputs import ReadingValueInput
from services.readings.validation import TypedValue


async def visible_meter_id(info: Info, meter_id: relay.GlobalID) -> int | None:
    """The meter's database id when the viewer may see it; None for a missing one and for another customer's alike."""
    pk = node_pk(meter_id, "Meter")
    if pk is None:
        return None
    row = await info.context.loaders.get(MeterById).load(pk)
    visible = await visible_rows(info, [row], account_or_contract)
    return pk if visible[0] is not None else None


def typed_values(values: list[ReadingValueInput]) -> list[TypedValue]:
    return [TypedValue(zone=value.zone, text=value.value) for value in values]

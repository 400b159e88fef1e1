"""Accepted readings pushed by integrations with a service token (`readings:write`)."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry import relay

from schema.core.enums import ReadingSource, TariffZone
from schema.core.errors import UserError
from schema.core.service_auth import HasServiceScope
from services.integrations.service_tokens import READINGS_WRITE


class CanImportReadings(HasServiceScope):
    scope = READINGS_WRITE


@strawberry.input(description="One accepted reading of one zone.")
class ImportReadingItemInput:
    external_id: str = strawberry.field(description="The sender's own id of the reading (up to 64 characters).")
    meter_id: relay.GlobalID | None = strawberry.field(default=None, description="The meter's global id, or …")
    meter_serial: str | None = strawberry.field(default=None, description="… its serial (заводской номер).")
    zone: TariffZone
    value: int = strawberry.field(description="The register value, whole kWh.")
    taken_on: date = strawberry.field(description="The date the reading was taken (дата показания).")


@strawberry.input
class ImportReadingsInput:
    source: ReadingSource = strawberry.field(
        description="UTILITY_PROVIDER, GRID_COMPANY, CONTROL_INSPECTION or ISU (customers' readings are submitted)."
    )
    batch_id: str = strawberry.field(description="The sender's id of the batch: a batch sent again changes nothing.")
    items: list[ImportReadingItemInput] = strawberry.field(description="Up to 1000 readings; all are stored or none.")


@strawberry.type
class ImportReadingsPayload:
    created: int = 0
    skipped: int = strawberry.field(default=0, description="Items already stored (same source and external id).")
    repeated_batch: bool = strawberry.field(
        default=False, description="The batch id was received before: nothing was looked at or stored."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)

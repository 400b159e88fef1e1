"""The preview of «Добавить показания» and the operators' list of submissions."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from resolvers.readings.common import typed_values, visible_meter_id
from schema.core.context import Info
from schema.core.enums import SubmissionStatus
from schema.core.errors import BadUserInputError, UserError
from schema.core.pagination import decode_cursor, make_connection, page_size
from schema.core.permissions import IsAuthenticated, IsStaffReader
from schema.readings.inputs import ReadingPreview, ReadingValueInput, ZoneReadingPreview
from schema.readings.reading import ReadingSubmission
from services.errors import ErrorCode
from services.readings.assessment import meter_not_found
from services.readings.preview import Preview, preview_readings
from services.readings.queue import submissions_page


def _keyset(after: str | None) -> tuple[datetime, int] | None:
    values = decode_cursor(after)
    if values is None:
        return None
    try:
        submitted_at, row_id = values
        return datetime.fromisoformat(submitted_at), int(row_id)
    except (TypeError, ValueError) as error:
        raise BadUserInputError("Неверный курсор", ErrorCode.INVALID_INPUT) from error


def _preview(found: Preview) -> ReadingPreview:
    return ReadingPreview(
        period=found.period,
        in_window=found.choice.in_window if found.choice is not None else False,
        notice=found.choice.notice if found.choice is not None else None,
        goes_to_review=found.goes_to_review,
        zones=[
            ZoneReadingPreview(
                zone=zone.zone,
                value=zone.value,
                previous_value=zone.previous.value if zone.previous else None,
                previous_taken_on=zone.previous.taken_on if zone.previous else None,
                previous_pending=zone.previous.pending if zone.previous else False,
                consumption=zone.consumption,  # type: ignore[arg-type]
                rate=zone.rate_kopecks,  # type: ignore[arg-type]
                estimated_cost=zone.cost_kopecks,  # type: ignore[arg-type]
                errors=[UserError.from_problem(problem) for problem in zone.problems],
            )
            for zone in found.zones
        ],
        errors=[UserError.from_problem(problem) for problem in found.problems],
    )


@strawberry.type
class ReadingsQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="What submitting these values for the meter would do, zone by zone: the previous value, "
        "consumption, estimated cost by the current tariff, the billing month and the problems. Nothing is stored.",
    )
    async def reading_preview(
        self, info: Info, meter_id: relay.GlobalID, values: list[ReadingValueInput]
    ) -> ReadingPreview:
        pk = await visible_meter_id(info, meter_id)
        if pk is None:
            return ReadingPreview(
                period=None,
                in_window=False,
                notice=None,
                goes_to_review=False,
                zones=[],
                errors=[UserError.from_problem(meter_not_found())],
            )
        viewer = info.context.viewer
        customer_id = viewer.customer_id if viewer is not None and not viewer.is_staff else None
        preview = await preview_readings(
            info.context.runtime, meter_id=pk, typed=typed_values(values), customer_id=customer_id
        )
        return _preview(preview)

    @strawberry.field(
        permission_classes=[IsStaffReader],
        description="Staff: submitted readings across all customers, oldest first; `status: UNDER_REVIEW` is the "
        "operators' review queue.",
    )
    async def reading_submissions(
        self,
        info: Info,
        status: SubmissionStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> relay.Connection[ReadingSubmission]:
        size = page_size(first)
        rows = await submissions_page(info.context.runtime, status=status, limit=size + 1, after=_keyset(after))
        return make_connection(
            rows,
            first=size,
            to_node=ReadingSubmission.from_row,
            cursor_of=lambda row: (row.submitted_at, row.id),
            has_previous=after is not None,
        )

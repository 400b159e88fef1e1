"""submitReadings (customers), reviewReadingSubmission (operators), importReadings (integrations)."""

from __future__ import annotations

import strawberry

from resolvers.mutation import mutation
from resolvers.readings.common import typed_values
from schema.core.context import Info
from schema.core.ids import node_pk, pk_of
from schema.core.permissions import IsCustomer, IsOperator, signed_in
from schema.readings.imports import CanImportReadings, ImportReadingsInput, ImportReadingsPayload
from schema.readings.inputs import (
    ReviewReadingSubmissionInput,
    ReviewReadingSubmissionPayload,
    SubmitReadingsInput,
    SubmitReadingsPayload,
)
from schema.readings.reading import ReadingSubmission
from services.readings.assessment import unknown_meter
from services.readings.imports import ImportItem, import_readings
from services.readings.review import review_submission, submission_not_found
from services.readings.submission import submit_readings


@strawberry.type
class ReadingsMutation:
    @mutation(
        permission_classes=[IsCustomer],
        description="Send the meter's current readings («Передача показаний»), one whole number per zone. Outside "
        "the submission window it still counts, toward the next month (see `notice` and `submission.period`). "
        "Consumption far above the usual goes to an operator (UNDER_REVIEW). Staff do not submit: readings taken "
        "by phone reach billing through the integrations.",
    )
    async def submit_readings(self, info: Info, input: SubmitReadingsInput) -> SubmitReadingsPayload:
        viewer = signed_in(info)
        result = await submit_readings(
            info.context.runtime,
            meter_id=pk_of(input.meter_id, "Meter", unknown_meter),
            customer_id=viewer.customer_id,
            typed=typed_values(input.values),
            idempotency_key=input.idempotency_key,
        )
        return SubmitReadingsPayload(submission=ReadingSubmission.from_row(result.submission), notice=result.notice)

    @mutation(
        permission_classes=[IsOperator],
        description="Operators: accept (PROCESSED, readings accepted for billing) or reject (with a reason the "
        "customer reads) a submission that went to review.",
    )
    async def review_reading_submission(
        self, info: Info, input: ReviewReadingSubmissionInput
    ) -> ReviewReadingSubmissionPayload:
        submission = await review_submission(
            info.context.runtime,
            submission_id=pk_of(input.submission_id, "ReadingSubmission", submission_not_found),
            reviewer_id=signed_in(info).customer_id,
            decision=input.decision,
            reason=input.reason,
        )
        return ReviewReadingSubmissionPayload(submission=ReadingSubmission.from_row(submission))

    @mutation(
        permission_classes=[CanImportReadings],
        description="Integrations (service token with `readings:write`): accepted readings from the utility "
        "provider, the grid company, control inspections or ИСУ. A batch id or an item (source, externalId) sent "
        "again changes nothing; all items of a batch are stored or none.",
    )
    async def import_readings(self, info: Info, input: ImportReadingsInput) -> ImportReadingsPayload:
        service = info.context.service
        assert service is not None, "guarded by CanImportReadings"
        items = [
            ImportItem(
                external_id=item.external_id,
                zone=item.zone,
                value=item.value,
                taken_on=item.taken_on,
                # A global id of another type names no meter: an impossible id reports it as not found.
                meter_id=(node_pk(item.meter_id, "Meter") or 0) if item.meter_id is not None else None,
                meter_serial=item.meter_serial,
            )
            for item in input.items
        ]
        result = await import_readings(
            info.context.runtime, principal=service, source=input.source, batch_id=input.batch_id, items=items
        )
        return ImportReadingsPayload(
            created=result.created, skipped=result.skipped, repeated_batch=result.repeated_batch
        )

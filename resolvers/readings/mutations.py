"""submitReadings (customers), reviewReadingSubmission (operators), importReadings (integrations)."""

from __future__ import annotations

import strawberry

from resolvers.readings.common import typed_values, visible_meter_id
from schema.core.context import Info
from schema.core.errors import user_errors
from schema.core.ids import node_pk
from schema.core.permissions import IsCustomer, IsOperator, signed_in
from schema.readings.imports import CanImportReadings, ImportReadingsInput, ImportReadingsPayload
from schema.readings.inputs import (
    ReviewReadingSubmissionInput,
    ReviewReadingSubmissionPayload,
    SubmitReadingsInput,
    SubmitReadingsPayload,
)
from schema.readings.reading import ReadingSubmission
from services.errors import DomainError, ErrorCode
from services.readings.assessment import meter_not_found
from services.readings.imports import ImportItem, import_readings
from services.readings.review import review_submission
from services.readings.submission import submit_readings


@strawberry.type
class ReadingsMutation:
    @strawberry.mutation(
        permission_classes=[IsCustomer],
        description="Send the meter's current readings («Передача показаний»), one whole number per zone. Outside "
        "the submission window it still counts, toward the next month (see `notice` and `submission.period`). "
        "Consumption far above the usual goes to an operator (UNDER_REVIEW). Staff do not submit: readings taken "
        "by phone reach billing through the integrations.",
    )
    async def submit_readings(self, info: Info, input: SubmitReadingsInput) -> SubmitReadingsPayload:
        viewer = signed_in(info)
        try:
            meter_id = await visible_meter_id(info, input.meter_id)
            if meter_id is None:
                raise DomainError([meter_not_found()])
            result = await submit_readings(
                info.context.runtime,
                meter_id=meter_id,
                customer_id=viewer.customer_id,
                typed=typed_values(input.values),
                idempotency_key=input.idempotency_key,
            )
        except DomainError as error:
            return SubmitReadingsPayload(errors=user_errors(error))
        return SubmitReadingsPayload(submission=ReadingSubmission.from_row(result.submission), notice=result.notice)

    @strawberry.mutation(
        permission_classes=[IsOperator],
        description="Operators: accept (PROCESSED, readings accepted for billing) or reject (with a reason the "
        "customer reads) a submission that went to review.",
    )
    async def review_reading_submission(
        self, info: Info, input: ReviewReadingSubmissionInput
    ) -> ReviewReadingSubmissionPayload:
        try:
            pk = node_pk(input.submission_id, "ReadingSubmission")
            if pk is None:
                raise DomainError.single(ErrorCode.NOT_FOUND, "Показания не найдены", "input", "submissionId")
            submission = await review_submission(
                info.context.runtime,
                submission_id=pk,
                reviewer_id=signed_in(info).customer_id,
                decision=input.decision,
                reason=input.reason,
            )
        except DomainError as error:
            return ReviewReadingSubmissionPayload(errors=user_errors(error))
        return ReviewReadingSubmissionPayload(submission=ReadingSubmission.from_row(submission))

    @strawberry.mutation(
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
        try:
            result = await import_readings(
                info.context.runtime, sender=service.name, source=input.source, batch_id=input.batch_id, items=items
            )
        except DomainError as error:
            return ImportReadingsPayload(errors=user_errors(error))
        return ImportReadingsPayload(
            created=result.created, skipped=result.skipped, repeated_batch=result.repeated_batch
        )

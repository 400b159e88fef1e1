"""Inputs and payloads of sending readings («Передача показаний»), the operators' review and the live status events."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import relay

from schema.core.enums import SubmissionStatus, TariffZone
from schema.core.errors import UserError
from schema.core.scalars import KilowattHours, Kopecks
from schema.readings.reading import ReadingSubmission
from services.readings.review import ReviewDecision as ReviewDecisionEnum

ReviewDecision = strawberry.enum(
    ReviewDecisionEnum,
    name="ReviewDecision",
    description="ACCEPT: the readings are accepted for billing (PROCESSED); REJECT: refused with a reason.",
)


@strawberry.input(description="What was typed for one zone of the meter.")
class ReadingValueInput:
    zone: TariffZone
    value: str = strawberry.field(
        description="The register value as typed: a whole number without leading zeros and without a fraction "
        "(«без первых нулей и цифр после запятой»). Text, so that the server says what is wrong with it."
    )


@strawberry.type(description="One zone of a reading preview: what it would be compared with and what it would cost.")
class ZoneReadingPreview:
    zone: TariffZone
    value: int | None = strawberry.field(description="The typed value, when it is a valid number.")
    previous_value: int | None = strawberry.field(description="The value it is compared with (предыдущие показания).")
    previous_taken_on: date | None = strawberry.field(description="The date of the previous value.")
    previous_pending: bool = strawberry.field(
        description="True when the previous value is a submission not processed yet, not an accepted reading."
    )
    consumption: KilowattHours | None = strawberry.field(
        description="kWh since the previous value, through zero when the register wrapped (расход)."
    )
    rate: Kopecks | None = strawberry.field(description="The current tariff of the zone, kopecks per kWh.")
    estimated_cost: Kopecks | None = strawberry.field(description="consumption × rate, in kopecks.")
    errors: list[UserError] = strawberry.field(description="What is wrong with this zone's value.")


@strawberry.type(description="What submitting these values would do; nothing is stored.")
class ReadingPreview:
    period: date | None = strawberry.field(description="The billing month it would count toward (its first day).")
    in_window: bool = strawberry.field(
        description="Whether today is inside the submission window; outside it, the reading counts toward the next "
        "month."
    )
    notice: str | None = strawberry.field(
        description="For the customer, in Russian, when it counts toward the next month."
    )
    goes_to_review: bool = strawberry.field(
        description="Consumption far above the usual: an operator will check the reading before it is accepted."
    )
    zones: list[ZoneReadingPreview]
    errors: list[UserError] = strawberry.field(description="Every problem, the zones' ones included.")


@strawberry.input
class SubmitReadingsInput:
    meter_id: relay.GlobalID
    values: list[ReadingValueInput] = strawberry.field(description="One value for each zone of the meter.")
    idempotency_key: str = strawberry.field(
        description="Chosen by the client (up to 64 characters), the same for retries of one submission: a retry "
        "returns the first result and creates nothing; the key with other values is DUPLICATE_SUBMISSION."
    )


@strawberry.type
class SubmitReadingsPayload:
    submission: ReadingSubmission | None = None
    notice: str | None = strawberry.field(
        default=None, description="In Russian, when the reading counts toward the next month (outside the window)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ReviewReadingSubmissionInput:
    submission_id: relay.GlobalID
    decision: ReviewDecision  # type: ignore[valid-type]
    reason: str | None = strawberry.field(
        default=None, description="Required to reject (the customer reads it); up to 1000 characters."
    )


@strawberry.type
class ReviewReadingSubmissionPayload:
    submission: ReadingSubmission | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="A submitted reading changed status (pushed live).")
class ReadingStatusChange:
    event_id: str = strawberry.field(
        description="Pass the last one seen as `after` when resubscribing to receive what was missed."
    )
    submission: ReadingSubmission
    old_status: SubmissionStatus | None = strawberry.field(description="Null when the submission was just created.")
    new_status: SubmissionStatus
    at: datetime
    reason: str | None

"""Payments made outside the portal, pushed by integrations with a service token (`payments:write`)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.core.enums import PaymentMethod
from schema.core.errors import UserError
from schema.core.scalars import Kopecks
from schema.core.service_auth import HasServiceScope
from services.integrations.service_tokens import PAYMENTS_WRITE


class CanImportPayments(HasServiceScope):
    scope = PAYMENTS_WRITE


@strawberry.input(description="One payment received at a bank, a cash desk, the post office or by an aggregator.")
class ImportPaymentItemInput:
    external_id: str = strawberry.field(description="The sender's own id of the payment (up to 100 characters).")
    account_number: str = strawberry.field(description="The personal account (лицевой счёт), 9 digits.")
    electricity: Kopecks = strawberry.field(description="For electricity (the whole payment when not split).")
    penalty: Kopecks = strawberry.field(default=0, description="For the penalty (пени).")
    state_duty: Kopecks = strawberry.field(default=0, description="For the state duty (госпошлина).")
    paid_at: datetime = strawberry.field(description="When the payer paid, with the time zone; not in the future.")
    method: PaymentMethod = strawberry.field(  # type: ignore[valid-type]
        description="BANK, CASH_DESK, POST_OFFICE or AGGREGATOR."
    )


@strawberry.input
class ImportPaymentsInput:
    items: list[ImportPaymentItemInput] = strawberry.field(description="1 to 1000 payments; all are stored or none.")


@strawberry.type
class ImportPaymentsPayload:
    created: int = 0
    skipped: int = strawberry.field(default=0, description="Payments imported before (same sender and external id).")
    errors: list[UserError] = strawberry.field(default_factory=list)

"""The payment form («Оплата»): how much goes to electricity, penalty and state duty, and how to pay."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from schema.billing.types import Payment
from schema.core.enums import PaymentMethod, PaymentStatus
from schema.core.errors import UserError
from schema.core.scalars import Kopecks


@strawberry.input(description="A payment for one personal account, split as the payment form splits it.")
class StartPaymentInput:
    account_id: relay.GlobalID = strawberry.field(description="The personal account (лицевой счёт) to pay for.")
    electricity: Kopecks = strawberry.field(
        description="For electricity; may exceed the debt (an advance, credited to the next bills)."
    )
    penalty: Kopecks = strawberry.field(description="For the penalty (пени); at most the penalty owed.")
    state_duty: Kopecks = strawberry.field(description="For the state duty (госпошлина); at most the duty owed.")
    method: PaymentMethod = strawberry.field(  # type: ignore[valid-type]
        description="SBP or CARD; BANK and CASH_DESK are payments outside the portal and are refused."
    )
    idempotency_key: str = strawberry.field(
        description="Chosen by the client (up to 64 characters), the same for retries of one payment: a retry "
        "returns the first payment and creates nothing; the key with another split is INVALID_INPUT."
    )


@strawberry.type
class StartPaymentPayload:
    payment: Payment | None = strawberry.field(default=None, description="The new payment, PENDING until paid.")
    confirmation_url: str | None = strawberry.field(
        default=None,
        description="Where the customer pays: for SBP the НСПК link (render it as the QR code, or open it on a "
        "phone); for CARD the bank's payment page to redirect to.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="A payment changed status (pushed live): the provider confirmed or refused it.")
class PaymentStatusChange:
    event_id: str = strawberry.field(
        description="Pass the last one seen as `after` when resubscribing to receive what was missed."
    )
    payment: Payment
    old_status: PaymentStatus  # type: ignore[valid-type]
    new_status: PaymentStatus  # type: ignore[valid-type]
    at: datetime

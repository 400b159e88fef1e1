"""startPayment (customers): a PENDING payment and the link where it is paid."""

from __future__ import annotations

import strawberry

from schema.billing.types import Payment
from schema.core.context import Info
from schema.core.errors import user_errors
from schema.core.ids import node_pk
from schema.core.permissions import IsCustomer, signed_in
from schema.payments.inputs import StartPaymentInput, StartPaymentPayload
from services.errors import DomainError
from services.objects.accounts import account_not_found
from services.payments.start import start_payment


@strawberry.type
class PaymentMutation:
    @strawberry.mutation(
        permission_classes=[IsCustomer],
        description="Pay for a personal account («Оплата»): split the amount into electricity, penalty and state "
        "duty and choose SBP or a bank card. Answers a PENDING payment and `confirmationUrl`; the payment becomes "
        "SUCCEEDED or FAILED when the provider confirms it (the debt is lowered then, and "
        "`payment.status_changed` is sent to the account).",
    )
    async def start_payment(self, info: Info, input: StartPaymentInput) -> StartPaymentPayload:
        viewer = signed_in(info)
        try:
            account_id = node_pk(input.account_id, "PersonalAccount")
            if account_id is None:
                raise account_not_found()
            payment = await start_payment(
                info.context.runtime,
                customer_id=viewer.customer_id,
                account_id=account_id,
                electricity=input.electricity,
                penalty=input.penalty,
                state_duty=input.state_duty,
                method=input.method,
                idempotency_key=input.idempotency_key,
            )
        except DomainError as error:
            return StartPaymentPayload(errors=user_errors(error))
        return StartPaymentPayload(payment=Payment.from_row(payment), confirmation_url=payment.confirmation_url)

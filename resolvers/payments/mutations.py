"""startPayment (customers): a PENDING payment and the link where it is paid; importPayments (integrations)."""

from __future__ import annotations

import strawberry

from resolvers.mutation import mutation
from schema.billing.types import Payment
from schema.core.context import Info
from schema.core.ids import pk_of
from schema.core.permissions import IsCustomer, signed_in
from schema.payments.imports import CanImportPayments, ImportPaymentsInput, ImportPaymentsPayload
from schema.payments.inputs import SbpQrCode, StartPaymentInput, StartPaymentPayload
from services.objects.accounts import account_not_found
from services.payments.imports import ExternalPayment, import_payments
from services.payments.qr import qr_png_url, qr_svg, shows_qr
from services.payments.start import start_payment


@strawberry.type
class PaymentMutation:
    @mutation(
        permission_classes=[IsCustomer],
        description="Pay for a personal account («Оплата»): split the amount into electricity, penalty and state "
        "duty and choose SBP or a bank card. Answers a PENDING payment and `confirmationUrl` (for SBP also the QR "
        "code, `sbpQr`); the payment becomes SUCCEEDED, FAILED or CANCELLED when the provider confirms it (the debt "
        "is lowered then, and `payment.status_changed` is sent to the account).",
    )
    async def start_payment(self, info: Info, input: StartPaymentInput) -> StartPaymentPayload:
        viewer = signed_in(info)
        account_id = pk_of(input.account_id, "PersonalAccount", account_not_found)
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
        qr = None
        if shows_qr(payment) and payment.confirmation_url is not None:
            qr = SbpQrCode(
                link=payment.confirmation_url,
                svg=qr_svg(payment.confirmation_url),
                png_url=qr_png_url(payment, info.context.runtime.settings),
            )
        return StartPaymentPayload(
            payment=Payment.from_row(payment), confirmation_url=payment.confirmation_url, sbp_qr=qr
        )

    @mutation(
        permission_classes=[CanImportPayments],
        description="Integrations (service token with `payments:write`): payments received at a bank, a cash "
        "desk, the post office or by other aggregators. Each lowers the account's debt and is pushed as "
        "`paymentStatusChanged`; an externalId sent again by the same integration changes nothing; all items of a "
        "batch are stored or none.",
    )
    async def import_payments(self, info: Info, input: ImportPaymentsInput) -> ImportPaymentsPayload:
        service = info.context.service
        assert service is not None, "guarded by CanImportPayments"
        items = [
            ExternalPayment(
                external_id=item.external_id,
                account_number=item.account_number,
                electricity=item.electricity,
                penalty=item.penalty,
                state_duty=item.state_duty,
                paid_at=item.paid_at,
                method=item.method,
            )
            for item in input.items
        ]
        result = await import_payments(info.context.runtime, principal=service, items=items)
        return ImportPaymentsPayload(created=result.created, skipped=result.skipped)

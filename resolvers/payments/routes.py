"""The HTTP routes of payments (not GraphQL): providers' callbacks and notifications, and the pages a payer opens."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from resolvers.payments.callback import payment_callback
from resolvers.payments.dev_page import dev_card_decision, dev_card_page
from resolvers.payments.notifications import payment_notification
from resolvers.payments.pay_link import statement_pay_page, statement_pay_result, statement_pay_start
from resolvers.payments.qr_image import payment_qr_png


def payment_routes() -> list[BaseRoute]:
    return [
        Route("/payments/callback/{provider}", payment_callback, methods=["POST"]),  # the dev provider, signed
        Route("/payments/notifications/{provider}", payment_notification, methods=["POST"]),  # ЮKassa, read back
        Route("/payments/{payment_id}/qr.png", payment_qr_png, methods=["GET"]),  # SBP QR image, public signed
        Route("/pay/dev/{payment_id}", dev_card_page, methods=["GET"]),  # development only: 404 in production
        Route("/pay/dev/{payment_id}", dev_card_decision, methods=["POST"]),
        Route("/pay/statement/{statement_id}", statement_pay_page, methods=["GET"]),  # e-receipt pay link, public
        Route("/pay/statement/{statement_id}", statement_pay_start, methods=["POST"]),
        Route("/pay/statement/{statement_id}/result", statement_pay_result, methods=["GET"]),
    ]

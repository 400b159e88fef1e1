"""`POST /payments/notifications/{provider}`: ЮKassa's HTTP notifications (webhooks) about a payment.

Answers: 200 when handled (applied or nothing to change), 400 a body that is not a notification, 404 a payment we
never issued or the provider does not know (a forgery), 503 when the provider could not be asked to confirm (ЮKassa
retries a notification that did not get 200), 413 a body far too large.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from resolvers.payments.provider_body import read_capped, too_large
from services.payments.notifications import NotificationOutcome, handle_notification
from services.platform.runtime import Runtime

MAX_BODY = 64 * 1024
STATUS = {
    NotificationOutcome.APPLIED: 200,
    NotificationOutcome.UNCHANGED: 200,
    NotificationOutcome.UNKNOWN_PAYMENT: 404,
    NotificationOutcome.BAD_REQUEST: 400,
    NotificationOutcome.UNAVAILABLE: 503,
}


async def payment_notification(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    body = await read_capped(request, limit=MAX_BODY)
    if body is None:
        return too_large()
    outcome = await handle_notification(runtime, provider=request.path_params["provider"], body=body)
    return JSONResponse({"status": outcome.value}, status_code=STATUS[outcome])

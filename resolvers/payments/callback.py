"""`POST /payments/callback/{provider}`: a payment provider reports a payment's result.

Answers: 200 applied / ignored / repeated (the provider stops retrying), 401 a bad `X-Signature` (nothing read or
changed), 400 a body that is not the agreed JSON, 404 a payment id we never issued, 413 a body far too large.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from resolvers.payments.provider_body import read_capped, too_large
from services.payments.callback import CallbackOutcome, handle_callback
from services.platform.runtime import Runtime

MAX_BODY = 16 * 1024
STATUS = {
    CallbackOutcome.APPLIED: 200,
    CallbackOutcome.IGNORED: 200,
    CallbackOutcome.REPEATED: 200,
    CallbackOutcome.BAD_SIGNATURE: 401,
    CallbackOutcome.BAD_REQUEST: 400,
    CallbackOutcome.UNKNOWN_PAYMENT: 404,
}


async def payment_callback(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    body = await read_capped(request, limit=MAX_BODY)
    if body is None:
        return too_large()
    outcome = await handle_callback(
        runtime,
        provider=request.path_params["provider"],
        body=body,
        signature=request.headers.get("x-signature"),
    )
    return JSONResponse({"status": outcome.value}, status_code=STATUS[outcome])

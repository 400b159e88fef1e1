"""`GET /payments/{id}/qr.png?expires=…&signature=…`: the SBP QR code of a pending payment, for an `<img>`.

A public signed link (services/files/signing.py): 404 when forged or for anything but a pending SBP payment, 410 once
expired.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from models import Payment
from services.files.signing import LinkCheck, LinkKind, check_public_link
from services.payments.qr import qr_payable, qr_png
from services.platform.runtime import Runtime


def digits(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 18


async def payment_qr_png(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    raw_id, expires = request.path_params["payment_id"], request.query_params.get("expires", "")
    signature = request.query_params.get("signature", "")
    if not (digits(raw_id) and digits(expires) and signature):
        return JSONResponse({"error": "not found"}, status_code=404)
    check = check_public_link(
        kind=LinkKind.PAYMENT_QR,
        secret=runtime.settings.secret_key,
        object_id=int(raw_id),
        expires=int(expires),
        signature=signature,
        now=runtime.clock.now(),
    )
    if check is LinkCheck.INVALID:
        return JSONResponse({"error": "not found"}, status_code=404)
    if check is LinkCheck.EXPIRED:
        return JSONResponse({"error": "the payment can no longer be paid by this code"}, status_code=410)
    async with runtime.db.session() as session:
        payment = await session.get(Payment, int(raw_id))
    if payment is None or not qr_payable(payment) or payment.confirmation_url is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return Response(
        qr_png(payment.confirmation_url),
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
    )

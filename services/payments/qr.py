"""The SBP QR code of a payment, drawn by us, so that a frontend shows it without a QR library.

The code holds the НСПК link the provider answered (`https://qr.nspk.ru/…`); a bank's app scanning it opens the
payment. It is given inline as SVG, and as a PNG behind a public signed link (an `<img src>` sends no bearer token)
that lives as long as the payment may still be paid.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from models import Payment
from models.enums import PaymentMethod, PaymentStatus
from services.files.signing import LinkKind, signed_public_url
from services.platform.settings import Settings

# Error correction M (15 %): the usual level of SBP codes, readable from a phone screen or a print.
ERROR_LEVEL = "m"
PNG_SCALE = 6
QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks


def shows_qr(payment: Payment) -> bool:
    return payment.method is PaymentMethod.SBP and payment.confirmation_url is not None


def qr_svg(link: str) -> str:
    """An inline `<svg>` element of the code (no XML declaration), scalable by CSS."""
    import segno  # loaded on the first QR code, not at start: the server starts faster

    return str(segno.make(link, error=ERROR_LEVEL, micro=False).svg_inline(scale=4, border=QUIET_ZONE))


def qr_png(link: str) -> bytes:
    image = io.BytesIO()
    import segno

    segno.make(link, error=ERROR_LEVEL, micro=False).save(image, kind="png", scale=PNG_SCALE, border=QUIET_ZONE)
    return image.getvalue()


def qr_expires_at(payment: Payment, settings: Settings) -> datetime:
    # Fixed per payment (not per request), so the same payment always answers the same URL.
    return payment.created_at + timedelta(minutes=settings.payment_pending_timeout_minutes)


def qr_png_url(payment: Payment, settings: Settings) -> str:
    assert payment.id is not None
    return signed_public_url(
        kind=LinkKind.PAYMENT_QR,
        secret=settings.secret_key,
        public_url=settings.public_url,
        object_id=payment.id,
        expires_at=qr_expires_at(payment, settings),
    )


def qr_payable(payment: Payment) -> bool:
    """Whether the QR image is still served: an SBP payment not yet ended."""
    return shows_qr(payment) and payment.status is PaymentStatus.PENDING

"""Short-lived download links bound to one viewer.

A link is `/files/{id}?expires=…&viewer=…&signature=HMAC(secret, kind, id, viewer, expires)` (or
`/statements/{id}.pdf?…` for a statement's payment document, rendered on request). It is issued by a resolver
only after it checked that the viewer may see the file (its owner, or staff), and the download handler serves it only
to a request signed in as that same viewer (`Authorization: Bearer`). So a link that leaks (browser history, a log,
a forwarded message) is useless to anyone else, and useless to everyone after `DOWNLOAD_TTL`.

Public links (`signed_public_url`) are bound to no viewer: whoever holds one may open that one object until it
expires — the SBP QR image of one payment, the pay page of one statement sent by email. They open nothing else (the
kind and the id are signed), and say nothing the holder was not already sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from urllib.parse import urlencode

from services.platform.hashing import constant_time_equals, keyed_hash

DOWNLOAD_TTL = timedelta(minutes=5)
DOWNLOAD_PATH = "/files/{id}"
STATEMENT_PDF_PATH = "/statements/{id}.pdf"


class LinkCheck(Enum):
    VALID = "valid"
    INVALID = "invalid"  # forged, altered, or for another viewer
    EXPIRED = "expired"


class LinkKind(Enum):
    """What a link downloads; part of the signature, so a file's link never opens the statement with that id."""

    FILE = "file-download"
    STATEMENT_PDF = "statement-pdf"
    PAYMENT_QR = "payment-qr"  # public
    STATEMENT_PAY = "statement-pay"  # public


PAYMENT_QR_PATH = "/payments/{id}/qr.png"
STATEMENT_PAY_PATH = "/pay/statement/{id}"
_PATHS = {
    LinkKind.FILE: DOWNLOAD_PATH,
    LinkKind.STATEMENT_PDF: STATEMENT_PDF_PATH,
    LinkKind.PAYMENT_QR: PAYMENT_QR_PATH,
    LinkKind.STATEMENT_PAY: STATEMENT_PAY_PATH,
}


def _signature(secret: str, *, kind: LinkKind, object_id: int, viewer_id: int, expires: int) -> str:
    return keyed_hash(secret, f"{kind.value}|{object_id}|{viewer_id}|{expires}")


def signed_url(
    *,
    kind: LinkKind,
    secret: str,
    public_url: str,
    object_id: int,
    viewer_id: int,
    now: datetime,
    ttl: timedelta = DOWNLOAD_TTL,
) -> str:
    expires = int((now + ttl).timestamp())
    query = urlencode(
        {
            "expires": expires,
            "viewer": viewer_id,
            "signature": _signature(secret, kind=kind, object_id=object_id, viewer_id=viewer_id, expires=expires),
        }
    )
    return f"{public_url.rstrip('/')}{_PATHS[kind].replace('{id}', str(object_id))}?{query}"


def check_link(
    *, kind: LinkKind, secret: str, object_id: int, viewer_id: int, expires: int, signature: str, now: datetime
) -> LinkCheck:
    expected = _signature(secret, kind=kind, object_id=object_id, viewer_id=viewer_id, expires=expires)
    if not constant_time_equals(expected, signature):
        return LinkCheck.INVALID
    if now.timestamp() >= expires:
        return LinkCheck.EXPIRED
    return LinkCheck.VALID


def signed_download_url(
    *, secret: str, public_url: str, file_id: int, viewer_id: int, now: datetime, ttl: timedelta = DOWNLOAD_TTL
) -> str:
    return signed_url(
        kind=LinkKind.FILE,
        secret=secret,
        public_url=public_url,
        object_id=file_id,
        viewer_id=viewer_id,
        now=now,
        ttl=ttl,
    )


def check_download_link(
    *, secret: str, file_id: int, viewer_id: int, expires: int, signature: str, now: datetime
) -> LinkCheck:
    return check_link(
        kind=LinkKind.FILE,
        secret=secret,
        object_id=file_id,
        viewer_id=viewer_id,
        expires=expires,
        signature=signature,
        now=now,
    )


def _public_signature(secret: str, *, kind: LinkKind, object_id: int, expires: int) -> str:
    return keyed_hash(secret, f"{kind.value}|{object_id}|public|{expires}")


def public_query(*, kind: LinkKind, secret: str, object_id: int, expires_at: datetime) -> str:
    expires = int(expires_at.timestamp())
    signature = _public_signature(secret, kind=kind, object_id=object_id, expires=expires)
    return urlencode({"expires": expires, "signature": signature})


def signed_public_url(*, kind: LinkKind, secret: str, public_url: str, object_id: int, expires_at: datetime) -> str:
    """A link to one object for whoever holds it, until `expires_at`."""
    query = public_query(kind=kind, secret=secret, object_id=object_id, expires_at=expires_at)
    return f"{public_url.rstrip('/')}{_PATHS[kind].replace('{id}', str(object_id))}?{query}"


def check_public_link(
    *, kind: LinkKind, secret: str, object_id: int, expires: int, signature: str, now: datetime
) -> LinkCheck:
    expected = _public_signature(secret, kind=kind, object_id=object_id, expires=expires)
    if not constant_time_equals(expected, signature):
        return LinkCheck.INVALID
    if now.timestamp() >= expires:
        return LinkCheck.EXPIRED
    return LinkCheck.VALID

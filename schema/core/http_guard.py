"""Guards in front of the GraphQL HTTP endpoint: CSRF protection for uploads, and a cap on the request body.

CSRF (Apollo Server's rule): a browser sends a cross-site POST without asking first only when its content type is
"simple" (`text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`) and it has no custom headers.
Such a POST is refused unless it carries a non-empty `Apollo-Require-Preflight` or `X-Apollo-Operation-Name` header,
which no cross-site form can add without a CORS preflight this server does not grant. JSON requests are unaffected;
clients that upload (the GraphQL multipart request spec) add `Apollo-Require-Preflight: true`. GET stays open: it
can only run queries, which change nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.types import Message, Receive, Scope, Send

PREFLIGHT_HEADERS = (b"apollo-require-preflight", b"x-apollo-operation-name")
SIMPLE_CONTENT_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})
# Files are checked one by one (10 MB each); this only bounds what a single request may make the server read.
MAX_BODY_BYTES = 60 * 1024 * 1024

CSRF_MESSAGE = (
    "This request has been blocked as a possible cross-site request forgery. Send JSON (Content-Type: "
    "application/json), or add the header 'Apollo-Require-Preflight: true' to multipart (file upload) requests."
)
TOO_LARGE_MESSAGE = f"The request body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB."


class BodyTooLarge(Exception):
    pass


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers") or []}


def csrf_refused(scope: Scope) -> bool:
    if scope.get("method") != "POST":
        return False
    headers = _headers(scope)
    if any(headers.get(name, b"").strip() for name in PREFLIGHT_HEADERS):
        return False
    content_type = headers.get(b"content-type", b"").decode("latin-1").split(";", 1)[0].strip().lower()
    return content_type == "" or content_type in SIMPLE_CONTENT_TYPES


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def guarded(
    app: Callable[[Scope, Receive, Send], Awaitable[None]], scope: Scope, receive: Receive, send: Send
) -> None:
    """Run `app` on an HTTP request that passed the CSRF check, with its body capped at `MAX_BODY_BYTES`."""
    if csrf_refused(scope):
        await _refuse(send, 400, "CSRF_PREFLIGHT_REQUIRED", CSRF_MESSAGE)
        return
    declared = _headers(scope).get(b"content-length", b"")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        await _refuse(send, 413, "PAYLOAD_TOO_LARGE", TOO_LARGE_MESSAGE)
        return
    received = 0
    started = False

    async def capped_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                raise BodyTooLarge
        return message

    async def tracking_send(message: Any) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    try:
        await app(scope, capped_receive, tracking_send)
    except BodyTooLarge:
        if started:
            raise
        await _refuse(send, 413, "PAYLOAD_TOO_LARGE", TOO_LARGE_MESSAGE)

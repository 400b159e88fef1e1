"""A payment provider's request body, read with a cap: a body far larger than any notification is refused (413)
before it is all in memory."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse


def too_large() -> JSONResponse:
    return JSONResponse({"status": "too_large"}, status_code=413)


async def read_capped(request: Request, *, limit: int) -> bytes | None:
    """The body, or None once it grows past `limit` bytes."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)

"""uvicorn's websockets-sansio protocol, without the handshake kept for the socket's life (issue 15).

uvicorn keeps the handshake's request and response (websockets' `Request` / `Response` and their `Headers`: about 5 KB
per socket by tracemalloc) until the socket closes, though nothing reads them once the response has been sent: the
app has its own copy of the headers in the ASGI scope. 5,000 sockets: some 25 MB.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class LeanWebSocketsSansIOProtocol(WebSocketsSansIOProtocol):
    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and getattr(self, "response", None) is not None:
            # Sent (or refused): uvicorn reads them only before `handshake_complete`.
            self.request = self.response = None  # type: ignore[assignment]

"""HTTP concerns of the app that are not GraphQL: browsers on other origins (CORS), caching of authenticated answers,
readiness."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from services.platform.runtime import Runtime
from services.platform.settings import Settings

# What a browser client may send cross-origin: the bearer token, JSON, the upload CSRF header, a request id, and what
# Apollo Client / GraphiQL add (client name and version, the persisted-query header).
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "Apollo-Require-Preflight",
    "X-Request-ID",
    "apollographql-client-name",
    "apollographql-client-version",
)
# Browsers cache a preflight answer for at most this many seconds (Chromium caps it at 2 hours), so a page pays one
# preflight per 2 hours instead of one per request.
PREFLIGHT_MAX_AGE = 7200


def with_cors(app: ASGIApp, settings: Settings) -> ASGIApp:
    """CORS for HTTP (starlette's middleware), preflights cached.

    Browsers send no preflight for a websocket: the GraphQL view checks the handshake's Origin against the same list
    (strawberry's `allowed_origins`; same-origin pages and clients sending no Origin, which are not browsers, pass).
    """
    return CORSMiddleware(
        app,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=list(ALLOWED_HEADERS),
        expose_headers=["X-Request-ID"],
        max_age=PREFLIGHT_MAX_AGE,
    )


class NoStoreForCredentials:
    """An answer to a request carrying credentials is that viewer's: no cache (browser, proxy, CDN) may keep it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or b"authorization" not in dict(scope.get("headers") or []):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message["headers"] = [*headers, (b"cache-control", b"no-store")]
            await send(message)

        await self.app(scope, receive, send_no_store)


async def readiness(runtime: Runtime, *, timeout: float = 2) -> dict[str, str]:
    """Each configured dependency's state: "ok" or the failure's type name."""

    async def check(probe: Any) -> str:
        try:
            await asyncio.wait_for(probe, timeout=timeout)
        except Exception as error:  # noqa: BLE001 - any failure means "not ready", said by its type
            return type(error).__name__ or "error"
        return "ok"

    checks = {"database": check(runtime.db.ping())}
    if runtime.redis is not None:
        checks["redis"] = check(runtime.redis.ping())
    results = await asyncio.gather(*checks.values())
    return dict(zip(checks, results, strict=True))

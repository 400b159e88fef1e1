"""The GraphQL endpoint: POST and GET, GraphiQL in a browser, `graphql-transport-ws` subscriptions only."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import orjson
import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from schema.core.context import Context
from schema.core.http_guard import guarded
from services.auth_tokens import Viewer, decode_access_token
from services.integrations.service_tokens import service_principal
from services.platform.runtime import Runtime

# Closing codes of graphql-transport-ws: 4403 "Forbidden" for a refused, revoked or expired token.
WS_CLOSE_FORBIDDEN = 4403
# A failed revocation poll is retried after 0.5 s, then 1 s, 2 s … at most 5 s (revocation is noticed that late).
GUARD_RETRY_FIRST_SECONDS = 0.5
GUARD_RETRY_MAX_SECONDS = 5.0

log = structlog.get_logger("websocket")


def bearer_token(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, schema: BaseSchema, runtime: Runtime) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            multipart_uploads_enabled=True,
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.runtime = runtime

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            await guarded(super().__call__, scope, receive, send)  # CSRF check and body cap (schema/core/http_guard.py)
            return
        websocket = WebSocket(scope, receive=receive, send=send)
        try:
            await self.run(websocket)
        finally:
            guard_task = getattr(websocket.state, "token_guard", None)
            if guard_task is not None:
                guard_task.cancel()

    def authenticate(self, token: str | None) -> Viewer | None:
        if token is None:
            return None
        return decode_access_token(secret=self.runtime.settings.secret_key, token=token, now=self.runtime.clock.now())

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        viewer = None
        service = None
        if isinstance(request, Request):
            token = bearer_token(request.headers.get("authorization"))
            viewer = self.authenticate(token)
            # A revoked session's access tokens are anonymous (one cached, indexed lookup per request).
            if viewer is not None and await self.runtime.session_guard.is_revoked(viewer.session_id):
                viewer = None
            # Not a customer's JWT: maybe an integration's service token (`svc_…`, cached lookup).
            if viewer is None and token is not None:
                service = await service_principal(self.runtime, token)
        return Context(request=request, runtime=self.runtime, viewer=viewer, response=response, service=service)

    async def on_ws_connect(self, context: Context) -> Any:
        """Authenticate from the `connection_init` payload `{"Authorization": "Bearer …"}`; no token: anonymous."""
        params = context.connection_params or {}
        raw = params.get("Authorization", params.get("authorization"))
        if raw is None:
            return await super().on_ws_connect(context)
        viewer = self.authenticate(bearer_token(raw))
        if viewer is None:
            raise ConnectionRejectionError()
        if await self.session_revoked(viewer):
            raise ConnectionRejectionError()
        context.viewer = viewer
        websocket = context.request
        assert isinstance(websocket, WebSocket)
        task = asyncio.create_task(self._close_when_token_ends(websocket, viewer, self.runtime.session_guard))
        websocket.state.token_guard = task
        return await super().on_ws_connect(context)

    async def session_revoked(self, viewer: Viewer) -> bool:
        return await self.runtime.session_guard.is_revoked(viewer.session_id)

    async def _close_when_token_ends(self, websocket: WebSocket, viewer: Viewer, guard: Any) -> None:
        """Close the socket (4403) when its access token expires or its session is revoked.

        A failed revocation poll (the database is away) is logged and retried until the token expires; whatever
        ends the wait other than the socket closing first (which cancels this task), the socket is closed: a guard
        that cannot watch a token must not leave its socket open.
        """
        cancelled = False
        try:
            await self._wait_until_token_ends(viewer, guard)
        except asyncio.CancelledError:
            cancelled = True  # the socket ended first: nothing to close
            raise
        finally:
            if not cancelled:
                try:
                    await websocket.close(code=WS_CLOSE_FORBIDDEN, reason="Token expired or revoked")
                except (RuntimeError, OSError):  # the client went at the same moment: it is closed either way
                    log.debug("websocket already closed", session_id=str(viewer.session_id))

    async def _wait_until_token_ends(self, viewer: Viewer, guard: Any) -> None:
        """Return when the session is revoked or the token has expired; retry a failed poll with a growing pause."""
        pause = GUARD_RETRY_FIRST_SECONDS
        while (remaining := (viewer.expires_at - self.runtime.clock.now()).total_seconds()) > 0:
            if guard is None:
                await asyncio.sleep(remaining)
                return
            try:
                await guard.wait_revoked(viewer.session_id, timeout=remaining)
            except Exception:
                log.warning(
                    "websocket token guard: revocation poll failed, retrying",
                    session_id=str(viewer.session_id),
                    retry_in_seconds=pause,
                    exc_info=True,
                )
                await asyncio.sleep(min(pause, remaining))
                pause = min(pause * 2, GUARD_RETRY_MAX_SECONDS)
                continue
            return

    def encode_json(self, data: object) -> str:
        # A str, not bytes: websockets must carry graphql-transport-ws messages as text frames.
        return orjson.dumps(data).decode()

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

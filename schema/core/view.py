"""The GraphQL endpoint: POST and GET, GraphiQL in a browser, `graphql-transport-ws` subscriptions only."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any

import orjson
import structlog
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from schema.core.budget import charged_in_this_task, cost_extension, forget_charge, set_cost_headers, uncharged_report
from schema.core.context import Context
from schema.core.graphiql import graphiql_html
from schema.core.http_errors import (
    BATCH_EMPTY,
    BODY_NOT_OBJECT,
    JSON_MEDIA,
    RESPONSE_MEDIA,
    coded_http_error,
    coded_response,
    response_media,
    with_codes,
)
from schema.core.http_guard import guarded
from schema.core.masking import RETRY_AFTER_SECONDS, UNAVAILABLE_CODE, UNAVAILABLE_MESSAGE
from schema.core.pagination import set_cursor_secret
from schema.core.persisted import PersistedDocuments, PersistedRefusal, load_manifest
from schema.core.ws_caps import CONNECTION_INIT_TIMEOUT, CappedTransportWSHandler, WebSocketCaps
from services.auth_tokens import VerifiedTokens, Viewer
from services.identity.guard import Watch
from services.integrations.service_tokens import service_principal
from services.platform.database import database_unavailable
from services.platform.runtime import Runtime

# A request's execution ends here and answers EXECUTION_TIME_EXCEEDED: one slow query must not hold a worker.
EXECUTION_BUDGET_SECONDS = 10.0

# Closing codes of graphql-transport-ws: 4403 "Forbidden" for a refused, revoked or expired token.
WS_CLOSE_FORBIDDEN = 4403

log = structlog.get_logger("websocket")

# The media type this request's answer is written in (GraphQL over HTTP: chosen from Accept in `_http`).
_media: ContextVar[str] = ContextVar("graphql_response_media", default=JSON_MEDIA)


def _counted_cost(result: ExecutionResult) -> int:
    """What the cost limit counted for a document it refused (else 0: nothing was counted or run)."""
    for error in result.errors or ():
        cost = (error.extensions or {}).get("cost")
        if isinstance(cost, int):
            return cost
    return 0


def bearer_token(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class GraphQLView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = CappedTransportWSHandler

    def __init__(self, schema: BaseSchema, runtime: Runtime) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
            multipart_uploads_enabled=True,
            keep_alive=True,
            keep_alive_interval=15,
            allowed_origins=runtime.settings.cors_origins,  # the websocket handshake's Origin (CORS covers HTTP)
        )
        self.runtime = runtime
        self.tokens = VerifiedTokens(secret=runtime.settings.secret_key)  # each token's signature checked once
        self.ws_caps = WebSocketCaps(runtime.redis)  # shared by every process through Redis
        self._closing: set[asyncio.Task[None]] = set()  # sockets being closed by their token's watch
        # Cursors signed with the server's secret: every worker accepts every worker's cursors.
        set_cursor_secret(runtime.settings.secret_key)
        settings = runtime.settings
        manifest = settings.persisted_documents_manifest
        self.persisted = PersistedDocuments(
            redis=runtime.redis,
            trusted=load_manifest(manifest) if manifest is not None else {},
            required=settings.persisted_documents == "required",
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            await guarded(self._http, scope, receive, send)  # CSRF check and body cap (schema/core/http_guard.py)
            return
        websocket = WebSocket(scope, receive=receive, send=send)
        try:
            await self.run(websocket)
        finally:
            slot = getattr(websocket.state, "ws_cap_slot", None)
            if slot is not None:
                await self.ws_caps.release(slot)
            guard_task = getattr(websocket.state, "token_guard", None)
            if guard_task is not None:
                guard_task.cancel()

    async def _http(self, scope: Any, receive: Any, send: Any) -> None:
        """strawberry's HTTP handling, with its refusals answered as coded JSON instead of plain text."""
        request = Request(scope=scope, receive=receive)
        media = response_media(request.headers.get("accept"))
        _media.set(media)
        try:
            response = await self.run(request)
        except HTTPException as refused:
            response = await self._refusal_with_cost(request, refused, media)
        except StarletteHTTPException as refused:  # Starlette's own, e.g. a multipart body it cannot parse
            response = coded_http_error(refused.status_code, "Unable to parse the multipart body", media=media)
        except Exception as error:
            if not database_unavailable(error):  # e.g. the session check in get_context, before execution
                raise
            response = coded_response(
                503,
                UNAVAILABLE_CODE,
                UNAVAILABLE_MESSAGE,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                media=media,
            )
        await response(scope, receive, send)

    async def _refusal_with_cost(self, request: Request, refused: HTTPException, media: str) -> Response:
        """An HTTP-level refusal (a body that is not an operation, a batch refused): cost 0, and the budget left."""
        try:
            context = await self.get_context(request, Response())
            charge = await uncharged_report(
                self.runtime,
                viewer=context.viewer,
                service=context.service,
                client_ip=context.client_ip,
                requested=0,
            )
        except Exception as error:
            if not database_unavailable(error):
                raise
            charge = None
        extensions = {"cost": cost_extension(charge)} if charge is not None else None
        response = coded_http_error(refused.status_code, refused.reason, media=media, extensions=extensions)
        if charge is not None:
            set_cost_headers(response, charge)
        return response

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        """A batch (Apollo's batch link: a JSON array) runs its operations one after another, in order, each through
        `execute_single` as a request of its own (its own document checks, cost rule and time budget)."""
        batch = kwargs.get("request_data")
        if not isinstance(batch, list):
            return await super().execute_operation(*args, **kwargs)
        if not batch:
            raise HTTPException(400, BATCH_EMPTY)
        # Not concurrently: the operations share the request's context (its loaders and database session).
        return [
            await self.execute_single(
                request=kwargs["request"],
                request_adapter=kwargs["request_adapter"],
                sub_response=kwargs["sub_response"],
                context=kwargs["context"],
                root_value=kwargs["root_value"],
                request_data=data,
            )
            for data in batch
        ]

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        data = kwargs["request_data"]
        context: Context = kwargs["context"]
        viewer = context.viewer
        try:
            data.query = await self.persisted.document(
                query=data.query,
                extensions=data.extensions,
                may_send_documents=context.service is not None or (viewer is not None and viewer.is_staff),
            )
        except PersistedRefusal as refused:
            miss = PreExecutionError(
                data=None, errors=[GraphQLError(refused.message, extensions={"code": refused.code})]
            )
            return await self._with_cost_report(context, miss)
        forget_charge()
        try:
            async with asyncio.timeout(EXECUTION_BUDGET_SECONDS):
                result: ExecutionResult = await super().execute_single(*args, **kwargs)
        except TimeoutError:
            stopped = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        f"Запрос выполнялся дольше {EXECUTION_BUDGET_SECONDS:.0f} с и остановлен; упростите его",
                        extensions={"code": "EXECUTION_TIME_EXCEEDED"},
                    )
                ],
            )
            # Charged when it began; the extension's report went with the execution. No further I/O here: the
            # cancelled execution may have left its database connection unusable.
            charge = charged_in_this_task()
            if charge is not None:
                stopped.extensions = {"cost": cost_extension(charge)}
            return stopped
        return await self._with_cost_report(context, result)

    async def _with_cost_report(self, context: Context, result: ExecutionResult) -> ExecutionResult:
        """A result refused before execution (a parse or validation error, the cost limit, a persisted-query miss)
        carries no charge's report: it gets its cost, charged nothing, and the budget left."""
        if "cost" in (result.extensions or {}):
            return result
        charge = await uncharged_report(
            self.runtime,
            viewer=context.viewer,
            service=context.service,
            client_ip=context.client_ip,
            requested=_counted_cost(result),
        )
        if charge is not None:
            result.extensions = {**(result.extensions or {}), "cost": cost_extension(charge)}
            if isinstance(context.response, Response):
                set_cost_headers(context.response, charge)
        return result

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from the server's own assets, the sign-in helper and the example tabs (schema/core/graphiql.py)."""
        return HTMLResponse(graphiql_html())

    def parse_json(self, data: str | bytes) -> Any:
        """A request body: a JSON object, or a batch (a list of them); `42`, `null`, `"x"` or `[1]` are 400s."""
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as error:  # also invalid UTF-8 and lone surrogates
            raise HTTPException(400, "Unable to parse request body as JSON") from error
        operations = value if isinstance(value, list) else [value]
        if not all(isinstance(operation, dict) for operation in operations):
            raise HTTPException(400, BODY_NOT_OBJECT)
        return value

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """A response any of whose errors says the database cannot be reached is a 503 with Retry-After.

        In `application/graphql-response+json` (GraphQL over HTTP), a single operation that did not begin executing
        (no `data` entry: a parse, validation or variable error) is a 400."""
        entries = response_data if isinstance(response_data, list) else [response_data]
        media = _media.get()
        if media == RESPONSE_MEDIA and isinstance(response_data, dict) and "data" not in response_data:
            sub_response.status_code = 400
        if any(
            (error.get("extensions") or {}).get("code") == UNAVAILABLE_CODE
            for entry in entries
            for error in entry.get("errors") or ()
        ):
            sub_response.status_code = 503
            sub_response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response = Response(
            orjson.dumps(response_data),  # bytes as they go out (`encode_json` gives websockets text)
            status_code=sub_response.status_code or 200,
            media_type=media,
        )
        response.headers.raw.extend(
            (name, value) for name, value in sub_response.headers.raw if name.lower() != b"content-type"
        )
        if sub_response.background:
            response.background = sub_response.background
        return response

    async def process_result(self, request: Any, result: ExecutionResult) -> Any:
        response: dict[str, Any] = dict(await super().process_result(request, result))
        if result.errors:
            response["errors"] = with_codes(response["errors"], list(result.errors), executed=result.data is not None)
            # Execution never began (a request error): GraphQL over HTTP has no `data` entry then. `application/json`
            # keeps its `data: null` (what clients of that media type have always been given).
            not_executed = isinstance(result, PreExecutionError) or (
                result.data is None and all(error.path is None for error in result.errors)
            )
            if not_executed and _media.get() == RESPONSE_MEDIA:
                response.pop("data", None)
        return response

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET carrying only a persisted query's hash (`extensions`) is an operation, not a browser opening GraphiQL.
        return request.query_params.get("extensions") is None and super().should_render_graphql_ide(request)

    def authenticate(self, token: str | None) -> Viewer | None:
        if token is None:
            return None
        return self.tokens.viewer(token, now=self.runtime.clock.now())

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        viewer = None
        service = None
        if isinstance(request, Request):
            token = bearer_token(request.headers.get("authorization"))
            viewer = self.authenticate(token)
            # A revoked session's access tokens are anonymous, and so are tokens whose customer or role is not their
            # session's (one cached, indexed lookup per request).
            if viewer is not None and not await self.runtime.session_guard.honours(viewer):
                viewer = None
            # Not a customer's JWT: maybe an integration's service token (`svc_…`, cached lookup).
            if viewer is None and token is not None:
                service = await service_principal(self.runtime, token)
        return Context(request=request, runtime=self.runtime, viewer=viewer, response=response, service=service)

    async def on_ws_connect(self, context: Context) -> Any:
        """Authenticate from the `connection_init` payload `{"Authorization": "Bearer …"}`; no token: anonymous.
        Counted against the caps of its session (or client address): see schema/core/ws_caps.py."""
        params = context.connection_params or {}
        raw = params.get("Authorization", params.get("authorization"))
        websocket = context.request
        assert isinstance(websocket, WebSocket)
        if raw is None:
            await self._count_connection(context, websocket, f"ip:{websocket.client.host if websocket.client else '?'}")
            return await super().on_ws_connect(context)
        viewer = self.authenticate(bearer_token(raw))
        if viewer is None:
            raise ConnectionRejectionError()
        if await self.session_revoked(viewer):
            raise ConnectionRejectionError()
        await self._count_connection(context, websocket, str(viewer.session_id))
        context.viewer = viewer
        websocket.state.token_guard = self._watch_token(websocket, viewer)  # cancelled when the socket ends
        return await super().on_ws_connect(context)

    async def _count_connection(self, context: Context, websocket: WebSocket, key: str) -> None:
        websocket.state.ws_cap_slot = await self.ws_caps.open(key)  # TooManyConnections: closed with 4429
        context.ws_cap_key = key

    async def session_revoked(self, viewer: Viewer) -> bool:
        return not await self.runtime.session_guard.honours(viewer)

    def _watch_token(self, websocket: WebSocket, viewer: Viewer) -> Watch:
        """Close the socket (4403) when its access token expires or its session is revoked.

        A watch in the session guard, not a task per socket (issue 15: memory per socket). A failed check of the
        database (the database is away) is logged and checked again by the guard's ticker until the token expires;
        when the watch ends, the socket is closed: a guard that cannot watch a token must not leave its socket open.
        """
        session_id = str(viewer.session_id)

        def ended(_: bool) -> None:
            task = asyncio.get_running_loop().create_task(self._close_forbidden(websocket, session_id))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

        def failed(error: Exception) -> None:
            log.warning(
                "websocket token guard: revocation poll failed, retrying",
                session_id=session_id,
                retry_in_seconds=self.runtime.session_guard.poll_seconds,
                exc_info=error,
            )

        remaining = (viewer.expires_at - self.runtime.clock.now()).total_seconds()
        return self.runtime.session_guard.watch(viewer.session_id, remaining, on_end=ended, on_error=failed)

    @staticmethod
    async def _close_forbidden(websocket: WebSocket, session_id: str) -> None:
        try:
            await websocket.close(code=WS_CLOSE_FORBIDDEN, reason="Token expired or revoked")
        except (RuntimeError, OSError):  # the client went at the same moment: it is closed either way
            log.debug("websocket already closed", session_id=session_id)

    def encode_json(self, data: object) -> str:
        # A str, not bytes: websockets must carry graphql-transport-ws messages as text frames.
        return orjson.dumps(data).decode()

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

"""The GraphQL websocket's way through the app, without the layers that only pass it on (issue 15: memory per socket).

An ASGI layer that awaits the next one keeps a coroutine and its frame for as long as the next one runs: for an HTTP
request a few milliseconds, for a subscribed websocket its whole life. Between uvicorn and the GraphQL view a
websocket went through eleven of them — CORS, Starlette's app, its error middleware, our request observer, request id
and no-store middlewares, Starlette's exception middleware and its handler wrapper, the router, the route — about
3.5 KB per socket (tracemalloc, the subscribers bench's server A). Six of them do nothing to a websocket but pass it on:
CORS, the error middleware and no-store act on HTTP only, Starlette's app sets `scope["app"]`, the router and the route
match the path and add `router`, `endpoint` and `path_params` to the scope. Our exception handlers are HTTP answers
(`DomainError`, which no part of the websocket's handling raises: strawberry turns the errors of operations into
protocol messages); an exception that escapes the view reaches uvicorn as before, which logs it and closes the socket.

`GraphQLWebSocketLane` takes the websockets that match the GraphQL websocket route (the route's own matching, so
root path and path are read as the router reads them), sets what the app, router and route would have set, and hands
them to the layers that do act on a websocket — the request observer (the open-websockets gauge) and the request id
(bound to every log line of the socket) — and the view; everything else goes to the full app as before. Its `__call__`
returns the next layer's coroutine instead of awaiting it: no frame of its own per socket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.routing import Match, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

Layer = Callable[[ASGIApp], ASGIApp]


class GraphQLWebSocketLane:
    def __init__(self, app: ASGIApp, *, starlette: Starlette, route: WebSocketRoute, layers: list[Layer]) -> None:
        """`app`: the full app (CORS, Starlette and its middleware); `route`: one of `starlette`'s routes; `layers`:
        the middleware that acts on websockets, outermost first, around the route's endpoint."""
        self.app = app
        self.starlette = starlette
        self.route = route
        socket: ASGIApp = route.app
        for layer in reversed(layers):
            socket = layer(socket)
        self.socket = socket

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] == "websocket":
            match, child_scope = self.route.matches(scope)
            if match is Match.FULL:
                scope["app"] = self.starlette
                scope.setdefault("router", self.starlette.router)
                scope.update(child_scope)
                return self.socket(scope, receive, send)
        return self.app(scope, receive, send)

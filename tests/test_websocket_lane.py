"""The GraphQL websocket's lane (services/platform/websocket_lane.py): it reaches the view through the layers that act
on websockets, with the scope the router would have made; everything else goes through the full app."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from services.platform.websocket_lane import GraphQLWebSocketLane

seen: list[tuple[str, Scope]] = []


class Endpoint:
    """An ASGI app, as the GraphQL view is (a function would be wrapped by the route as a websocket session)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(("endpoint", dict(scope)))


endpoint = Endpoint()


async def full_app(scope: Scope, receive: Receive, send: Send) -> None:
    seen.append(("app", dict(scope)))


def layer(name: str) -> Any:
    def wrap(app: ASGIApp) -> ASGIApp:
        async def layered(scope: Scope, receive: Receive, send: Send) -> None:
            seen.append((name, {}))
            await app(scope, receive, send)

        return layered

    return wrap


async def _nothing() -> dict[str, Any]:
    return {}


async def _drop(_: Any) -> None:
    return None


def _lane() -> tuple[GraphQLWebSocketLane, Starlette]:
    route = WebSocketRoute("/graphql", endpoint)
    starlette = Starlette(routes=[route])
    return GraphQLWebSocketLane(full_app, starlette=starlette, route=route, layers=[layer("outer"), layer("inner")]), (
        starlette
    )


async def test_the_graphql_websocket_goes_through_the_layers_to_the_view_with_the_routers_scope() -> None:
    seen.clear()
    lane, starlette = _lane()
    await lane({"type": "websocket", "path": "/graphql", "root_path": "", "headers": []}, _nothing, _drop)
    assert [name for name, _ in seen] == ["outer", "inner", "endpoint"]
    scope = seen[-1][1]
    assert scope["app"] is starlette
    assert scope["router"] is starlette.router
    assert scope["endpoint"] is endpoint
    assert scope["path_params"] == {}


async def test_other_websockets_and_http_go_through_the_full_app() -> None:
    lane, _ = _lane()
    for scope in (
        {"type": "websocket", "path": "/other", "root_path": "", "headers": []},
        {"type": "http", "method": "GET", "path": "/graphql", "root_path": "", "headers": []},
        {"type": "lifespan"},
    ):
        seen.clear()
        await lane(scope, _nothing, _drop)
        assert [name for name, _ in seen] == ["app"]

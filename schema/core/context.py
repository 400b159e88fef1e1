"""The per-request (per-websocket) context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from loaders.registry import Loaders
from services.auth_tokens import Viewer
from services.integrations.service_tokens import ServicePrincipal
from services.platform.clock import Clock
from services.platform.database import Database
from services.platform.runtime import Runtime


@dataclass
class Context:
    request: Request | WebSocket
    runtime: Runtime
    viewer: Viewer | None = None
    connection_params: dict[str, Any] | None = None  # the JSON payload of a websocket's `connection_init`
    response: Response | WebSocket | None = None
    _loaders: Loaders | None = field(default=None, repr=False)
    service: ServicePrincipal | None = None  # an integration's service token, when the bearer is one
    ws_cap_key: str | None = None  # a websocket's key in the caps (schema/core/ws_caps.py)

    @property
    def db(self) -> Database:
        return self.runtime.db

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    @cached_property
    def client_ip(self) -> str:
        client = self.request.client
        return client.host if client else "unknown"

    @property
    def loaders(self) -> Loaders:
        """Loaders live as long as one request, or one subscription event on a websocket."""
        if self._loaders is None:
            self._loaders = Loaders(self.runtime.db)
        return self._loaders

    def use_loaders(self, loaders: Loaders) -> None:
        """Answer from `loaders` from now on (a subscription event's, shared by its subscribers)."""
        self._loaders = loaders


Info = strawberry.Info[Context, None]

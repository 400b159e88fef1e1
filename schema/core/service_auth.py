"""Permissions for integrations calling with a service token (`Authorization: Bearer svc_…`)."""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry.permission import BasePermission

from schema.core.context import Info
from schema.core.errors import ForbiddenError, UnauthenticatedError
from services.integrations.service_tokens import TECH_CONNECTIONS_WRITE


class HasServiceScope(BasePermission):
    """No token: UNAUTHENTICATED; a person's token, or a service token without the scope: FORBIDDEN."""

    scope: ClassVar[str] = ""
    message = "Нужен сервисный токен с нужными правами"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        service = info.context.service
        if service is None:
            if info.context.viewer is None:
                raise UnauthenticatedError("Нужен сервисный токен интеграции")
            raise ForbiddenError()
        if not service.may(self.scope):
            raise ForbiddenError()
        return True


class CanWriteTechConnections(HasServiceScope):
    scope = TECH_CONNECTIONS_WRITE

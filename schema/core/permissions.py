"""Permission classes declared on fields. Ownership of objects is checked in one place: `services.access`."""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry.permission import BasePermission

from models.enums import Role
from schema.core.context import Info
from schema.core.errors import ForbiddenError, UnauthenticatedError
from services.auth_tokens import Viewer


class IsAuthenticated(BasePermission):
    message = "Войдите в личный кабинет"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if info.context.viewer is None:
            raise UnauthenticatedError()
        return True


class _HasRole(BasePermission):
    roles: ClassVar[frozenset[Role]] = frozenset()
    message = "Недостаточно прав"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer is None:
            raise UnauthenticatedError()
        if viewer.role not in self.roles:
            raise ForbiddenError()
        return True


class IsCustomer(_HasRole):
    roles = frozenset({Role.CUSTOMER})


class IsOperator(_HasRole):
    """Operators answer appeals and review requests; admins may do what operators do."""

    roles = frozenset({Role.OPERATOR, Role.ADMIN})


class IsStaffReader(_HasRole):
    """Read-only access across all customers."""

    roles = frozenset({Role.OPERATOR, Role.ANALYST, Role.ADMIN})


class IsAdmin(_HasRole):
    roles = frozenset({Role.ADMIN})


class IsCustomerOrOperator(_HasRole):
    """Writing to something a customer owns: the customer themself (ownership checked by the service) or an
    operator; analysts only read."""

    roles = frozenset({Role.CUSTOMER, Role.OPERATOR, Role.ADMIN})


def signed_in(info: Info) -> Viewer:
    """The viewer of a field guarded by `IsAuthenticated` (or a role check)."""
    viewer = info.context.viewer
    assert viewer is not None, "guarded by IsAuthenticated"
    return viewer

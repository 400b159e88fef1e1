"""`mutation(...)`: the one way a root mutation is declared, and the one place a `DomainError` becomes user errors.

A service (or the translation of an id) raises `DomainError`; `DomainErrorsToPayload` answers the field's payload type
with `errors` set and nothing else, so no resolver catches it. Permission errors (GraphQL errors) pass through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types.field import StrawberryField

from schema.core.context import Info
from schema.core.errors import user_errors
from services.errors import DomainError


class DomainErrorsToPayload(FieldExtension):
    """Answers `Payload(errors=[…])` for a `DomainError` raised by the resolver."""

    field: StrawberryField

    def apply(self, field: StrawberryField) -> None:
        self.field = field

    def _payload(self, error: DomainError) -> Any:
        payload: Any = self.field.type
        if not isinstance(payload, type):
            raise TypeError(f"{self.field.name}: a mutation answers one payload type, not {payload!r}")
        return payload(errors=user_errors(error))

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        try:
            return next_(source, info, **kwargs)
        except DomainError as error:
            return self._payload(error)

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except DomainError as error:
            return self._payload(error)


def mutation(*, description: str, permission_classes: Sequence[type[BasePermission]] = ()) -> Any:
    """`strawberry.mutation` whose `DomainError`s become the payload's `errors`."""
    return strawberry.mutation(
        description=description,
        permission_classes=list(permission_classes),
        extensions=[DomainErrorsToPayload()],
    )

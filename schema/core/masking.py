"""Internal errors reach clients as "Внутренняя ошибка" with the request id; the details go to the log only.

What the API means to say passes untouched: GraphQL's own errors (syntax, validation), the errors resolvers raise
on purpose (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND …) and malformed global ids. A database that
cannot be reached is no internal error but SERVICE_UNAVAILABLE, answered with HTTP 503 and Retry-After (issue 13).
"""

from __future__ import annotations

import structlog
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.relay.types import GlobalIDValueError

from services.platform.database import database_unavailable

log = structlog.get_logger("graphql")

INTERNAL_ERROR_MESSAGE = "Внутренняя ошибка сервера. Повторите попытку позже"
UNAVAILABLE_MESSAGE = "Сервис временно недоступен. Повторите через несколько секунд"
UNAVAILABLE_CODE = "SERVICE_UNAVAILABLE"
RETRY_AFTER_SECONDS = 5


def should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError | GlobalIDValueError):
        return False
    if database_unavailable(original):
        log.warning("database unavailable", path=error.path, error=f"{type(original).__name__}: {original}")
    else:
        log.error("internal error", path=error.path, exc_info=original)
    return True


class _Masking(MaskErrors):
    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if database_unavailable(error.original_error):
            return GraphQLError(
                UNAVAILABLE_MESSAGE, nodes=error.nodes, path=error.path, extensions={"code": UNAVAILABLE_CODE}
            )
        return super().anonymise_error(error)


def mask_internal_errors() -> MaskErrors:
    return _Masking(should_mask_error=should_mask, error_message=INTERNAL_ERROR_MESSAGE)

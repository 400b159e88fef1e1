"""Internal errors reach clients as "Внутренняя ошибка" with the request id; the details go to the log only.

What the API means to say passes untouched: GraphQL's own errors (syntax, validation), the errors resolvers raise
on purpose (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND …) and malformed global ids.
"""

from __future__ import annotations

import structlog
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.relay.types import GlobalIDValueError

log = structlog.get_logger("graphql")

INTERNAL_ERROR_MESSAGE = "Внутренняя ошибка сервера. Повторите попытку позже"


def should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError | GlobalIDValueError):
        return False
    log.error("internal error", path=error.path, exc_info=original)
    return True


def mask_internal_errors() -> MaskErrors:
    return MaskErrors(should_mask_error=should_mask, error_message=INTERNAL_ERROR_MESSAGE)

"""The one translation of a `DomainError` raised under an HTTP route (not GraphQL) into the route's answer.

`domain_error_response` is a Starlette exception handler, registered once in `server.py`, so no route catches a
`DomainError` itself. A route answers 400 JSON `{code, message}` (the first problem; 403 for FORBIDDEN), like its other
refusals, unless
it names its own answer with `@answers_domain_errors(...)` (the pay link re-renders its HTML page).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.errors import DomainError, ErrorCode

DomainErrorAnswer = Callable[[Request, DomainError], Awaitable[Response]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., object])
_ANSWER = "domain_error_answer"


def answers_domain_errors(answer: DomainErrorAnswer) -> Callable[[Endpoint], Endpoint]:
    """Marks a route's endpoint: a `DomainError` it raises is answered by `answer(request, error)`."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _ANSWER, answer)
        return endpoint

    return mark


async def domain_error_response(request: Request, error: Exception) -> Response:
    """Starlette's handler for `DomainError` (the router set `scope["endpoint"]` to the route that raised it)."""
    if not isinstance(error, DomainError):  # registered for DomainError only
        raise error
    answer: DomainErrorAnswer | None = getattr(request.scope.get("endpoint"), _ANSWER, None)
    if answer is not None:
        return await answer(request, error)
    problem = error.problems[0]
    status = 403 if problem.code is ErrorCode.FORBIDDEN else 400
    return JSONResponse({"code": problem.code.value, "message": problem.message}, status_code=status)

"""How problems reach the client.

Bad input: a `UserError` in the mutation payload (code + Russian message). Not signed in / not allowed: a GraphQL error
with `extensions.code` UNAUTHENTICATED / FORBIDDEN. Another customer's object: exactly what a missing one gives.
"""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from services.errors import DomainError, ErrorCode, Problem

UserErrorCode = strawberry.enum(ErrorCode, name="UserErrorCode", description="Stable codes of user errors.")


@strawberry.type(description="A problem with what the user asked for; nothing was changed.")
class UserError:
    field: list[str] | None = strawberry.field(description="The path of the input field at fault, if one is.")
    code: UserErrorCode  # type: ignore[valid-type]
    message: str = strawberry.field(description="For the end user, in Russian.")

    @classmethod
    def from_problem(cls, problem: Problem) -> UserError:
        return cls(field=list(problem.field) if problem.field else None, code=problem.code, message=problem.message)


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError.from_problem(problem) for problem in error.problems]


class UnauthenticatedError(GraphQLError):
    def __init__(self, message: str = "Войдите в личный кабинет") -> None:
        super().__init__(message, extensions={"code": "UNAUTHENTICATED"})


class ForbiddenError(GraphQLError):
    def __init__(self, message: str = "Недостаточно прав") -> None:
        super().__init__(message, extensions={"code": "FORBIDDEN"})


class BadUserInputError(GraphQLError):
    """For query arguments (mutations report input problems in their payload instead)."""

    def __init__(self, message: str, code: ErrorCode = ErrorCode.INVALID_INPUT) -> None:
        super().__init__(message, extensions={"code": "BAD_USER_INPUT", "reason": code.value})

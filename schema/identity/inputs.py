"""Inputs, payloads and results of registration, sign-in, sessions, recovery and profile changes."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from models.identity import OneTimeCode
from schema.core.errors import UserError
from schema.identity.customer import Customer
from services.identity.sessions import IssuedSession


@strawberry.type(description="A one-time code was sent; complete the action with the challenge id and the code.")
class CodeChallenge:
    id: strawberry.ID = strawberry.field(description="Pass it back with the code.")
    expires_at: datetime = strawberry.field(description="The code is valid until then (10 minutes).")
    resend_available_at: datetime = strawberry.field(description="A new code may be requested from then on.")

    @classmethod
    def from_model(cls, model: OneTimeCode) -> Self:
        return cls(
            id=strawberry.ID(str(model.id)), expires_at=model.expires_at, resend_available_at=model.resend_available_at
        )


@strawberry.type(description="A signed-in session: send the access token as `Authorization: Bearer …`.")
class AuthSession:
    access_token: str = strawberry.field(description="A JWT valid 15 minutes.")
    access_token_expires_at: datetime
    refresh_token: str = strawberry.field(
        description="Valid 30 days and for one use: `refreshSession` returns a new one. Keep it secret."
    )
    customer: Customer

    @classmethod
    def from_issued(cls, issued: IssuedSession) -> Self:
        return cls(
            access_token=issued.access_token,
            access_token_expires_at=issued.access_token_expires_at,
            refresh_token=issued.refresh_token,
            customer=Customer.from_model(issued.customer),
        )


@strawberry.input
class StartRegistrationInput:
    phone: str = strawberry.field(description="+7-999-999-99-99, +7 (999) 999 99 99 or 89999999999.")
    password: str
    password_confirmation: str
    privacy_policy_accepted: bool


@strawberry.input
class ConfirmRegistrationInput:
    challenge_id: strawberry.ID
    code: str


@strawberry.input
class SignInInput:
    phone: str
    password: str


@strawberry.input
class RefreshSessionInput:
    refresh_token: str


@strawberry.input
class SignOutInput:
    refresh_token: str
    everywhere: bool = strawberry.field(default=False, description="End every session of the user, on every device.")


@strawberry.input
class StartPasswordRecoveryInput:
    phone: str


@strawberry.input
class CompletePasswordRecoveryInput:
    challenge_id: strawberry.ID
    code: str
    new_password: str
    new_password_confirmation: str


@strawberry.input
class ResendCodeInput:
    challenge_id: strawberry.ID


@strawberry.input
class StartPhoneChangeInput:
    new_phone: str


@strawberry.input
class ConfirmPhoneChangeInput:
    challenge_id: strawberry.ID
    code: str


@strawberry.input
class StartEmailChangeInput:
    new_email: str


@strawberry.input
class ConfirmEmailChangeInput:
    challenge_id: strawberry.ID
    code: str


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str
    new_password_confirmation: str


@strawberry.type
class ChallengePayload:
    """Shared shape of the "send me a code" mutations."""

    challenge: CodeChallenge | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StartRegistrationPayload(ChallengePayload):
    pass


@strawberry.type
class StartPasswordRecoveryPayload(ChallengePayload):
    pass


@strawberry.type
class ResendCodePayload(ChallengePayload):
    pass


@strawberry.type
class StartPhoneChangePayload(ChallengePayload):
    pass


@strawberry.type
class StartEmailChangePayload(ChallengePayload):
    pass


@strawberry.type
class SessionPayload:
    """Shared shape of the mutations that sign in."""

    session: AuthSession | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConfirmRegistrationPayload(SessionPayload):
    pass


@strawberry.type
class SignInPayload(SessionPayload):
    pass


@strawberry.type
class RefreshSessionPayload(SessionPayload):
    pass


@strawberry.type
class CompletePasswordRecoveryPayload(SessionPayload):
    pass


@strawberry.type
class SignOutPayload:
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CustomerPayload:
    """Shared shape of the profile changes."""

    customer: Customer | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConfirmPhoneChangePayload(CustomerPayload):
    pass


@strawberry.type
class ConfirmEmailChangePayload(CustomerPayload):
    pass


@strawberry.type
class ChangePasswordPayload(CustomerPayload):
    pass

"""Registration, sign-in, session refresh and sign-out, password recovery and code resend: open to anonymous users."""

from __future__ import annotations

import strawberry

from resolvers.identity.common import client_info, note_revoked
from resolvers.mutation import mutation
from schema.core.context import Info
from schema.identity.inputs import (
    AuthSession,
    CodeChallenge,
    CompletePasswordRecoveryInput,
    CompletePasswordRecoveryPayload,
    ConfirmRegistrationInput,
    ConfirmRegistrationPayload,
    RefreshSessionInput,
    RefreshSessionPayload,
    ResendCodeInput,
    ResendCodePayload,
    SignInInput,
    SignInPayload,
    SignOutInput,
    SignOutPayload,
    StartPasswordRecoveryInput,
    StartPasswordRecoveryPayload,
    StartRegistrationInput,
    StartRegistrationPayload,
)
from services.identity import recovery, registration, sessions, signin
from services.identity.codes import resend_code


@strawberry.type
class SessionMutation:
    @mutation(description="Step 1 of registration: checks the input and sends an SMS code to the phone.")
    async def start_registration(self, info: Info, input: StartRegistrationInput) -> StartRegistrationPayload:
        challenge = await registration.start_registration(
            info.context.runtime,
            phone=input.phone,
            password=input.password,
            password_confirmation=input.password_confirmation,
            privacy_policy_accepted=input.privacy_policy_accepted,
            client=client_info(info),
        )
        return StartRegistrationPayload(challenge=CodeChallenge.from_row(challenge))

    @mutation(description="Step 2 of registration: the SMS code creates the user and signs them in.")
    async def confirm_registration(self, info: Info, input: ConfirmRegistrationInput) -> ConfirmRegistrationPayload:
        issued = await registration.confirm_registration(
            info.context.runtime, challenge_id=str(input.challenge_id), code=input.code, client=client_info(info)
        )
        return ConfirmRegistrationPayload(session=AuthSession.from_issued(issued))

    @mutation(description="Sign in by phone and password (customers and staff alike).")
    async def sign_in(self, info: Info, input: SignInInput) -> SignInPayload:
        issued = await signin.sign_in(
            info.context.runtime, phone=input.phone, password=input.password, client=client_info(info)
        )
        return SignInPayload(session=AuthSession.from_issued(issued))

    @mutation(description="A new access token and refresh token for a refresh token, which is spent.")
    async def refresh_session(self, info: Info, input: RefreshSessionInput) -> RefreshSessionPayload:
        try:
            issued = await sessions.refresh_session(
                info.context.runtime, refresh_token=input.refresh_token, client=client_info(info)
            )
        except sessions.RefreshTokenReused as reused:
            note_revoked(info, [reused.session_id])  # then answered as any other domain error
            raise
        return RefreshSessionPayload(session=AuthSession.from_issued(issued))

    @mutation(description="End this session, or (`everywhere`) every session of the user.")
    async def sign_out(self, info: Info, input: SignOutInput) -> SignOutPayload:
        revoked = await sessions.sign_out(
            info.context.runtime, refresh_token=input.refresh_token, everywhere=input.everywhere
        )
        note_revoked(info, revoked)
        return SignOutPayload()

    @mutation(description="Sends a recovery code by SMS. Answers the same whether or not the phone is registered.")
    async def start_password_recovery(
        self, info: Info, input: StartPasswordRecoveryInput
    ) -> StartPasswordRecoveryPayload:
        challenge = await recovery.start_password_recovery(
            info.context.runtime, phone=input.phone, client=client_info(info)
        )
        return StartPasswordRecoveryPayload(challenge=CodeChallenge.from_row(challenge))

    @mutation(description="Sets a new password by the recovery code, ends every session and signs in.")
    async def complete_password_recovery(
        self, info: Info, input: CompletePasswordRecoveryInput
    ) -> CompletePasswordRecoveryPayload:
        issued, revoked = await recovery.complete_password_recovery(
            info.context.runtime,
            challenge_id=str(input.challenge_id),
            code=input.code,
            new_password=input.new_password,
            new_password_confirmation=input.new_password_confirmation,
            client=client_info(info),
        )
        note_revoked(info, revoked)
        return CompletePasswordRecoveryPayload(session=AuthSession.from_issued(issued))

    @mutation(description="A new code for a challenge, no sooner than 60 s after the last one.")
    async def resend_code(self, info: Info, input: ResendCodeInput) -> ResendCodePayload:
        viewer = info.context.viewer
        challenge = await resend_code(
            info.context.runtime,
            challenge_id=str(input.challenge_id),
            customer_id=viewer.customer_id if viewer is not None else None,
            ip=info.context.client_ip,
        )
        return ResendCodePayload(challenge=CodeChallenge.from_row(challenge))

"""Profile changes of the signed-in user: phone and email (each confirmed by a code) and password."""

from __future__ import annotations

import strawberry

from resolvers.identity.common import client_info, note_revoked
from resolvers.mutation import mutation
from schema.core.context import Info
from schema.core.permissions import IsAuthenticated, signed_in
from schema.identity.customer import Customer
from schema.identity.inputs import (
    ChangePasswordInput,
    ChangePasswordPayload,
    CodeChallenge,
    ConfirmEmailChangeInput,
    ConfirmEmailChangePayload,
    ConfirmPhoneChangeInput,
    ConfirmPhoneChangePayload,
    StartEmailChangeInput,
    StartEmailChangePayload,
    StartPhoneChangeInput,
    StartPhoneChangePayload,
)
from services.identity import profile


@strawberry.type
class ProfileMutation:
    @mutation(permission_classes=[IsAuthenticated], description="Sends an SMS code to the new number.")
    async def start_phone_change(self, info: Info, input: StartPhoneChangeInput) -> StartPhoneChangePayload:
        challenge = await profile.start_phone_change(
            info.context.runtime,
            customer_id=signed_in(info).customer_id,
            new_phone=input.new_phone,
            client=client_info(info),
        )
        return StartPhoneChangePayload(challenge=CodeChallenge.from_row(challenge))

    @mutation(permission_classes=[IsAuthenticated], description="The SMS code makes the new number yours.")
    async def confirm_phone_change(self, info: Info, input: ConfirmPhoneChangeInput) -> ConfirmPhoneChangePayload:
        customer = await profile.confirm_phone_change(
            info.context.runtime,
            customer_id=signed_in(info).customer_id,
            challenge_id=str(input.challenge_id),
            code=input.code,
            client=client_info(info),
        )
        return ConfirmPhoneChangePayload(customer=Customer.from_row(customer))

    @mutation(permission_classes=[IsAuthenticated], description="Sends a code to the new email address.")
    async def start_email_change(self, info: Info, input: StartEmailChangeInput) -> StartEmailChangePayload:
        challenge = await profile.start_email_change(
            info.context.runtime,
            customer_id=signed_in(info).customer_id,
            new_email=input.new_email,
            client=client_info(info),
        )
        return StartEmailChangePayload(challenge=CodeChallenge.from_row(challenge))

    @mutation(permission_classes=[IsAuthenticated], description="The emailed code makes the address yours (verified).")
    async def confirm_email_change(self, info: Info, input: ConfirmEmailChangeInput) -> ConfirmEmailChangePayload:
        customer = await profile.confirm_email_change(
            info.context.runtime,
            customer_id=signed_in(info).customer_id,
            challenge_id=str(input.challenge_id),
            code=input.code,
            client=client_info(info),
        )
        return ConfirmEmailChangePayload(customer=Customer.from_row(customer))

    @mutation(permission_classes=[IsAuthenticated], description="A new password; every other session of the user ends.")
    async def change_password(self, info: Info, input: ChangePasswordInput) -> ChangePasswordPayload:
        viewer = signed_in(info)
        customer, revoked = await profile.change_password(
            info.context.runtime,
            customer_id=viewer.customer_id,
            current_session_id=viewer.session_id,
            current_password=input.current_password,
            new_password=input.new_password,
            new_password_confirmation=input.new_password_confirmation,
        )
        note_revoked(info, revoked)
        return ChangePasswordPayload(customer=Customer.from_row(customer))

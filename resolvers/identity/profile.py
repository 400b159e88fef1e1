"""Profile changes of the signed-in user: phone and email (each confirmed by a code) and password."""

from __future__ import annotations

import strawberry

from resolvers.identity.common import client_info, note_revoked
from schema.core.context import Info
from schema.core.errors import user_errors
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
from services.errors import DomainError
from services.identity import profile


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Sends an SMS code to the new number.")
    async def start_phone_change(self, info: Info, input: StartPhoneChangeInput) -> StartPhoneChangePayload:
        try:
            challenge = await profile.start_phone_change(
                info.context.runtime,
                customer_id=signed_in(info).customer_id,
                new_phone=input.new_phone,
                client=client_info(info),
            )
        except DomainError as error:
            return StartPhoneChangePayload(errors=user_errors(error))
        return StartPhoneChangePayload(challenge=CodeChallenge.from_model(challenge))

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="The SMS code makes the new number yours.")
    async def confirm_phone_change(self, info: Info, input: ConfirmPhoneChangeInput) -> ConfirmPhoneChangePayload:
        try:
            customer = await profile.confirm_phone_change(
                info.context.runtime,
                customer_id=signed_in(info).customer_id,
                challenge_id=str(input.challenge_id),
                code=input.code,
                client=client_info(info),
            )
        except DomainError as error:
            return ConfirmPhoneChangePayload(errors=user_errors(error))
        return ConfirmPhoneChangePayload(customer=Customer.from_model(customer))

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Sends a code to the new email address.")
    async def start_email_change(self, info: Info, input: StartEmailChangeInput) -> StartEmailChangePayload:
        try:
            challenge = await profile.start_email_change(
                info.context.runtime,
                customer_id=signed_in(info).customer_id,
                new_email=input.new_email,
                client=client_info(info),
            )
        except DomainError as error:
            return StartEmailChangePayload(errors=user_errors(error))
        return StartEmailChangePayload(challenge=CodeChallenge.from_model(challenge))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="The emailed code makes the address yours (verified)."
    )
    async def confirm_email_change(self, info: Info, input: ConfirmEmailChangeInput) -> ConfirmEmailChangePayload:
        try:
            customer = await profile.confirm_email_change(
                info.context.runtime,
                customer_id=signed_in(info).customer_id,
                challenge_id=str(input.challenge_id),
                code=input.code,
                client=client_info(info),
            )
        except DomainError as error:
            return ConfirmEmailChangePayload(errors=user_errors(error))
        return ConfirmEmailChangePayload(customer=Customer.from_model(customer))

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="A new password; every other session of the user ends."
    )
    async def change_password(self, info: Info, input: ChangePasswordInput) -> ChangePasswordPayload:
        viewer = signed_in(info)
        try:
            customer, revoked = await profile.change_password(
                info.context.runtime,
                customer_id=viewer.customer_id,
                current_session_id=viewer.session_id,
                current_password=input.current_password,
                new_password=input.new_password,
                new_password_confirmation=input.new_password_confirmation,
            )
        except DomainError as error:
            return ChangePasswordPayload(errors=user_errors(error))
        note_revoked(info, revoked)
        return ChangePasswordPayload(customer=Customer.from_model(customer))

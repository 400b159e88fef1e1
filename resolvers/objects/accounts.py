"""Linking and unlinking personal accounts, and the e-receipt setting of a linked account."""

from __future__ import annotations

import strawberry
from strawberry import relay

from schema.cabinet.account import PersonalAccount
from schema.core.context import Info
from schema.core.errors import user_errors
from schema.core.ids import node_pk
from schema.core.permissions import IsCustomer, signed_in
from schema.objects.inputs import (
    LinkPersonalAccountInput,
    LinkPersonalAccountPayload,
    UnlinkPersonalAccountInput,
    UnlinkPersonalAccountPayload,
    UpdateReceiptDeliveryInput,
    UpdateReceiptDeliveryPayload,
)
from services.errors import DomainError
from services.objects import accounts, receipts


@strawberry.type
class AccountLinkMutation:
    @strawberry.mutation(
        permission_classes=[IsCustomer],
        description="Link a personal account by its number and the receipt's activation code. Several customers may "
        "link one account (a family). Five wrong codes for an account in an hour lock it for an hour.",
    )
    async def link_personal_account(self, info: Info, input: LinkPersonalAccountInput) -> LinkPersonalAccountPayload:
        try:
            account = await accounts.link_personal_account(
                info.context.runtime,
                customer_id=signed_in(info).customer_id,
                number=input.number,
                activation_code=input.activation_code,
            )
        except DomainError as error:
            return LinkPersonalAccountPayload(errors=user_errors(error))
        return LinkPersonalAccountPayload(personal_account=PersonalAccount.from_model(account))

    @strawberry.mutation(
        permission_classes=[IsCustomer],
        description="Remove the account from the viewer's cabinet; other customers' links to it stay.",
    )
    async def unlink_personal_account(
        self, info: Info, input: UnlinkPersonalAccountInput
    ) -> UnlinkPersonalAccountPayload:
        account_id = node_pk(input.account_id, "PersonalAccount")
        try:
            if account_id is None:
                raise accounts.account_not_found()
            await accounts.unlink_personal_account(
                info.context.runtime, customer_id=signed_in(info).customer_id, account_id=account_id
            )
        except DomainError as error:
            return UnlinkPersonalAccountPayload(errors=user_errors(error))
        return UnlinkPersonalAccountPayload(unlinked_account_id=relay.GlobalID("PersonalAccount", str(account_id)))

    @strawberry.mutation(
        permission_classes=[IsCustomer],
        description="Receive the account's payment documents by email (or on paper again). Each family member "
        "sharing an account has their own setting.",
    )
    async def update_receipt_delivery(
        self, info: Info, input: UpdateReceiptDeliveryInput
    ) -> UpdateReceiptDeliveryPayload:
        account_id = node_pk(input.account_id, "PersonalAccount")
        try:
            if account_id is None:
                raise accounts.account_not_found()
            await receipts.update_receipt_delivery(
                info.context.runtime,
                customer_id=signed_in(info).customer_id,
                account_id=account_id,
                electronic=input.electronic,
                email=input.email,
            )
        except DomainError as error:
            return UpdateReceiptDeliveryPayload(errors=user_errors(error))
        nodes = await PersonalAccount.resolve_nodes(info=info, node_ids=[str(account_id)])
        return UpdateReceiptDeliveryPayload(personal_account=nodes[0])

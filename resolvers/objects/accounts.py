"""Linking and unlinking personal accounts, and the e-receipt setting of a linked account or contract."""

from __future__ import annotations

import strawberry
from strawberry import relay

from resolvers.mutation import mutation
from schema.cabinet.account import PersonalAccount
from schema.core.context import Info
from schema.core.ids import pk_of
from schema.core.permissions import IsCustomer, signed_in
from schema.objects.contract import Contract
from schema.objects.inputs import (
    LinkPersonalAccountInput,
    LinkPersonalAccountPayload,
    UnlinkContractInput,
    UnlinkContractPayload,
    UnlinkPersonalAccountInput,
    UnlinkPersonalAccountPayload,
    UpdateContractReceiptsInput,
    UpdateContractReceiptsPayload,
    UpdateReceiptDeliveryInput,
    UpdateReceiptDeliveryPayload,
)
from services.objects import accounts, contract_links, receipts


@strawberry.type
class AccountLinkMutation:
    @mutation(
        permission_classes=[IsCustomer],
        description="Link a personal account by its number and the receipt's activation code. Several customers may "
        "link one account (a family). Five wrong codes for an account in an hour lock it for an hour.",
    )
    async def link_personal_account(self, info: Info, input: LinkPersonalAccountInput) -> LinkPersonalAccountPayload:
        account = await accounts.link_personal_account(
            info.context.runtime,
            customer_id=signed_in(info).customer_id,
            number=input.number,
            activation_code=input.activation_code,
        )
        return LinkPersonalAccountPayload(personal_account=PersonalAccount.from_row(account))

    @mutation(
        permission_classes=[IsCustomer],
        description="Remove the account from the viewer's cabinet; other customers' links to it stay.",
    )
    async def unlink_personal_account(
        self, info: Info, input: UnlinkPersonalAccountInput
    ) -> UnlinkPersonalAccountPayload:
        account_id = pk_of(input.account_id, "PersonalAccount", accounts.account_not_found)
        await accounts.unlink_personal_account(
            info.context.runtime, customer_id=signed_in(info).customer_id, account_id=account_id
        )
        return UnlinkPersonalAccountPayload(unlinked_account_id=relay.GlobalID("PersonalAccount", str(account_id)))

    @mutation(
        permission_classes=[IsCustomer],
        description="Remove a contract from the viewer's cabinet («Управление объектами»); it stays linked to the "
        "other customers who have it.",
    )
    async def unlink_contract(self, info: Info, input: UnlinkContractInput) -> UnlinkContractPayload:
        contract_id = pk_of(input.contract_id, "Contract", contract_links.contract_not_found)
        await contract_links.unlink_contract(
            info.context.runtime, customer_id=signed_in(info).customer_id, contract_id=contract_id
        )
        return UnlinkContractPayload(unlinked_contract_id=relay.GlobalID("Contract", str(contract_id)))

    @mutation(
        permission_classes=[IsCustomer],
        description="Receive the account's payment documents by email (or on paper again). Each family member "
        "sharing an account has their own setting.",
    )
    async def update_receipt_delivery(
        self, info: Info, input: UpdateReceiptDeliveryInput
    ) -> UpdateReceiptDeliveryPayload:
        account_id = pk_of(input.account_id, "PersonalAccount", accounts.account_not_found)
        await receipts.update_receipt_delivery(
            info.context.runtime,
            customer_id=signed_in(info).customer_id,
            account_id=account_id,
            electronic=input.electronic,
            email=input.email,
        )
        nodes = await PersonalAccount.resolve_nodes(info=info, node_ids=[str(account_id)])
        return UpdateReceiptDeliveryPayload(personal_account=nodes[0])

    @mutation(
        permission_classes=[IsCustomer],
        description="Receive a contract's statements (счета) by email, the PDF attached (or on paper again). Each "
        "customer with access to the contract has their own setting.",
    )
    async def update_contract_receipts(
        self, info: Info, input: UpdateContractReceiptsInput
    ) -> UpdateContractReceiptsPayload:
        contract_id = pk_of(input.contract_id, "Contract", receipts.contract_not_found)
        await receipts.update_contract_receipts(
            info.context.runtime,
            customer_id=signed_in(info).customer_id,
            contract_id=contract_id,
            electronic=input.electronic,
            email=input.email,
        )
        nodes = await Contract.resolve_nodes(info=info, node_ids=[str(contract_id)])
        return UpdateContractReceiptsPayload(contract=nodes[0])

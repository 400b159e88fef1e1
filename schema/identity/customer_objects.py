"""The cabinet's fields of a customer: the personal accounts and contracts linked to them."""

from __future__ import annotations

from loaders.access import LinkedAccountIds, LinkedContractIds
from loaders.objects import AccountById, ContractById
from schema.cabinet.account import PersonalAccount
from schema.core.context import Info
from schema.objects.contract import Contract


async def personal_accounts(info: Info, customer_id: int) -> list[PersonalAccount]:
    """In account number order. The customer node was already checked: it is the viewer, or the viewer is staff."""
    ids = sorted(await info.context.loaders.get(LinkedAccountIds).load(customer_id))
    models = await info.context.loaders.get(AccountById).load_many(ids)
    accounts = sorted((model for model in models if model is not None), key=lambda model: model.number)
    return [PersonalAccount.from_model(model) for model in accounts]


async def contracts(info: Info, customer_id: int) -> list[Contract]:
    ids = sorted(await info.context.loaders.get(LinkedContractIds).load(customer_id))
    models = await info.context.loaders.get(ContractById).load_many(ids)
    linked = sorted((model for model in models if model is not None), key=lambda model: model.number)
    return [Contract.from_model(model) for model in linked]

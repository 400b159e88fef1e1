"""What a customer may see: the ids of the accounts and contracts linked to them (one statement each per request)."""

from __future__ import annotations

from loaders.base import Loader, Query, grouped
from loaders.objects import AccountById, ContractById
from loaders.pages import table_of
from models import Contract, PersonalAccount

# The linked accounts' and contracts' rows come along (a link's account or contract always exists: a foreign key): the
# request's `AccountById` / `ContractById` is primed with them, so those a customer is shown cost no statement of their
# own.
_LINKED_ACCOUNTS = Query.of(
    "SELECT l.customer_id AS linked_customer_id, a.* FROM account_link l "
    "JOIN personal_account a ON a.id = l.account_id WHERE l.customer_id = ANY($1::bigint[])",
    table_of(PersonalAccount),
)
_LINKED_CONTRACTS = Query.of(
    "SELECT l.customer_id AS linked_customer_id, c.* FROM contract_link l "
    "JOIN contract c ON c.id = l.contract_id WHERE l.customer_id = ANY($1::bigint[])",
    table_of(Contract),
)


class LinkedAccountIds(Loader[int, frozenset[int]]):
    """customer id → ids of the personal accounts linked to that customer."""

    async def batch_load_fn(self, customer_ids: list[int]) -> list[frozenset[int]]:
        rows = await self.fetch(_LINKED_ACCOUNTS, customer_ids)
        if self.registry is not None:
            accounts = self.registry.get(AccountById)
            for row in rows:
                accounts.prime(row["id"], row)
        return [frozenset(row["id"] for row in group) for group in grouped(customer_ids, rows, "linked_customer_id")]


class LinkedContractIds(Loader[int, frozenset[int]]):
    """customer id → ids of the contracts linked to that customer."""

    async def batch_load_fn(self, customer_ids: list[int]) -> list[frozenset[int]]:
        rows = await self.fetch(_LINKED_CONTRACTS, customer_ids)
        if self.registry is not None:  # as the accounts': the contracts a customer is shown cost no statement
            contracts = self.registry.get(ContractById)
            for row in rows:
                contracts.prime(row["id"], row)
        return [frozenset(row["id"] for row in group) for group in grouped(customer_ids, rows, "linked_customer_id")]

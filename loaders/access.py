"""What a customer may see: the ids of the accounts and contracts linked to them (one statement each per request)."""

from __future__ import annotations

from loaders.base import Loader, Query, grouped

_LINKED_ACCOUNTS = Query.of("SELECT customer_id, account_id FROM account_link WHERE customer_id = ANY($1::bigint[])")
_LINKED_CONTRACTS = Query.of("SELECT customer_id, contract_id FROM contract_link WHERE customer_id = ANY($1::bigint[])")


class LinkedAccountIds(Loader[int, frozenset[int]]):
    """customer id → ids of the personal accounts linked to that customer."""

    async def batch_load_fn(self, customer_ids: list[int]) -> list[frozenset[int]]:
        rows = await self.fetch(_LINKED_ACCOUNTS, customer_ids)
        return [frozenset(row["account_id"] for row in group) for group in grouped(customer_ids, rows, "customer_id")]


class LinkedContractIds(Loader[int, frozenset[int]]):
    """customer id → ids of the contracts linked to that customer."""

    async def batch_load_fn(self, customer_ids: list[int]) -> list[frozenset[int]]:
        rows = await self.fetch(_LINKED_CONTRACTS, customer_ids)
        return [frozenset(row["contract_id"] for row in group) for group in grouped(customer_ids, rows, "customer_id")]

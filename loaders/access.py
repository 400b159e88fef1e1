"""What a customer may see: the ids of the accounts and contracts linked to them (one statement each per request)."""

from __future__ import annotations

from sqlmodel import select

from loaders.base import Loader, grouped
from models import AccountLink, ContractLink


class LinkedAccountIds(Loader[int, frozenset[int]]):
    """customer id → ids of the personal accounts linked to that customer."""

    async def batch_load_fn(self, customer_ids: list[int]) -> list[frozenset[int]]:
        rows = await self.rows(
            select(AccountLink.customer_id, AccountLink.account_id).where(
                AccountLink.customer_id.in_(customer_ids)  # type: ignore[attr-defined]
            )
        )
        return [frozenset(row.account_id for row in group) for group in grouped(customer_ids, rows, "customer_id")]


class LinkedContractIds(Loader[int, frozenset[int]]):
    """customer id → ids of the contracts linked to that customer."""

    async def batch_load_fn(self, customer_ids: list[int]) -> list[frozenset[int]]:
        rows = await self.rows(
            select(ContractLink.customer_id, ContractLink.contract_id).where(
                ContractLink.customer_id.in_(customer_ids)  # type: ignore[attr-defined]
            )
        )
        return [frozenset(row.contract_id for row in group) for group in grouped(customer_ids, rows, "customer_id")]

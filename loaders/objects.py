"""Loaders of linked objects by id."""

from __future__ import annotations

from sqlmodel import select

from loaders.base import Loader, by_key
from models import Contract, PersonalAccount


class AccountById(Loader[int, PersonalAccount | None]):
    async def batch_load_fn(self, ids: list[int]) -> list[PersonalAccount | None]:
        accounts = await self.objects(select(PersonalAccount).where(PersonalAccount.id.in_(ids)))  # type: ignore[union-attr]
        return by_key(ids, accounts, "id")


class ContractById(Loader[int, Contract | None]):
    async def batch_load_fn(self, ids: list[int]) -> list[Contract | None]:
        contracts = await self.objects(select(Contract).where(Contract.id.in_(ids)))  # type: ignore[union-attr]
        return by_key(ids, contracts, "id")

"""Loaders of linked objects by id: their rows, read by attribute like the models they are stored from."""

from __future__ import annotations

from typing import Any

from loaders.base import Loader, Query, by_key
from loaders.pages import table_of
from models import Contract, PersonalAccount

_ACCOUNT_BY_ID = Query.of("SELECT * FROM personal_account WHERE id = ANY($1::bigint[])", table_of(PersonalAccount))
_CONTRACT_BY_ID = Query.of("SELECT * FROM contract WHERE id = ANY($1::bigint[])", table_of(Contract))


class AccountById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.fetch(_ACCOUNT_BY_ID, ids), "id")


class ContractById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.fetch(_CONTRACT_BY_ID, ids), "id")

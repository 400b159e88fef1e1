"""Utility providers of accounts and delivery points of contracts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from loaders.base import Loader, by_key, grouped
from loaders.pages import table_of
from models import DeliveryPoint, UtilityProvider

PROVIDER = table_of(UtilityProvider)
POINT = table_of(DeliveryPoint)


class UtilityProviderById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.rows(sa.select(*PROVIDER.c).where(PROVIDER.c.id.in_(ids))), "id")


class DeliveryPointById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.rows(sa.select(*POINT.c).where(POINT.c.id.in_(ids))), "id")


class DeliveryPointsByContract(Loader[int, list[Any]]):
    async def batch_load_fn(self, contract_ids: list[int]) -> list[list[Any]]:
        rows = await self.rows(sa.select(*POINT.c).where(POINT.c.contract_id.in_(contract_ids)).order_by(POINT.c.id))
        return grouped(contract_ids, rows, "contract_id")

"""Utility providers of accounts and delivery points of contracts."""

from __future__ import annotations

from typing import Any

from loaders.base import Loader, Query, by_key, grouped
from loaders.pages import table_of
from models import DeliveryPoint, UtilityProvider

PROVIDER = table_of(UtilityProvider)
POINT = table_of(DeliveryPoint)

_PROVIDER_BY_ID = Query.of("SELECT * FROM utility_provider WHERE id = ANY($1::bigint[])", PROVIDER)
_POINT_BY_ID = Query.of("SELECT * FROM delivery_point WHERE id = ANY($1::bigint[])", POINT)
_POINTS_BY_CONTRACT = Query.of("SELECT * FROM delivery_point WHERE contract_id = ANY($1::bigint[]) ORDER BY id", POINT)


class UtilityProviderById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.fetch(_PROVIDER_BY_ID, ids), "id")


class DeliveryPointById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.fetch(_POINT_BY_ID, ids), "id")


class DeliveryPointsByContract(Loader[int, list[Any]]):
    async def batch_load_fn(self, contract_ids: list[int]) -> list[list[Any]]:
        return grouped(contract_ids, await self.fetch(_POINTS_BY_CONTRACT, contract_ids), "contract_id")

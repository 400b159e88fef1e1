"""Loaders of customers (and staff) by id: their rows, read by attribute like the model."""

from __future__ import annotations

from typing import Any

from loaders.base import Loader, Query, by_key
from loaders.pages import table_of
from models import Customer

_CUSTOMER_BY_ID = Query.of("SELECT * FROM customer WHERE id = ANY($1::bigint[])", table_of(Customer))


class CustomerById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.fetch(_CUSTOMER_BY_ID, ids), "id")

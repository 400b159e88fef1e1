"""Loaders of customers (and staff) by id."""

from __future__ import annotations

from sqlalchemy import select

from loaders.base import Loader, by_key
from models import Customer


class CustomerById(Loader[int, Customer | None]):
    async def batch_load_fn(self, ids: list[int]) -> list[Customer | None]:
        customers = await self.objects(select(Customer).where(Customer.id.in_(ids)))  # type: ignore[union-attr]
        return by_key(ids, customers, "id")

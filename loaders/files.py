"""Stored files by id."""

from __future__ import annotations

from sqlmodel import col, select

from loaders.base import Loader, by_key
from models.infra import StoredFile


class StoredFileById(Loader[int, StoredFile | None]):
    async def batch_load_fn(self, ids: list[int]) -> list[StoredFile | None]:
        files = await self.objects(select(StoredFile).where(col(StoredFile.id).in_(ids)))
        return by_key(ids, files, "id")

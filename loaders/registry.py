"""All loaders of one request, created lazily by class: a request pays only for the loaders it uses."""

from __future__ import annotations

from typing import Any, TypeVar

from services.platform.database import Database

L = TypeVar("L")


class Loaders:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._made: dict[type[Any], Any] = {}

    def get(self, loader_class: type[L]) -> L:
        loader = self._made.get(loader_class)
        if loader is None:
            loader = self._made[loader_class] = loader_class(self.db)  # type: ignore[call-arg]
            if hasattr(loader, "registry"):
                loader.registry = self  # a loader may prime another one of the same request with rows it read
        return loader  # type: ignore[no-any-return]

"""`RowNode`: a Relay node built from one database row, its global id the row's primary key.

A subclass names the loader of its rows and how to find a row's owner; `node(id)` then answers with the rows the
viewer may see and None (exactly as for a missing id) for the rest.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Self

import strawberry
from strawberry import relay

from loaders.base import Loader
from schema.core.context import Info
from schema.core.ownership import Owner, account_or_contract, load_visible, visible_rows


@dataclasses.dataclass
class RowNode(relay.Node):
    row_id: strawberry.Private[int]

    node_loader: ClassVar[type[Loader[int, Any]] | None] = None
    node_owner: ClassVar[Callable[[Any], Owner]] = account_or_contract

    @classmethod
    def resolve_id(cls, root: Self, *, info: Info) -> str:
        return str(root.row_id)

    @classmethod
    def from_row(cls, row: Any) -> Self:
        raise NotImplementedError

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        if cls.node_loader is None:
            raise NotImplementedError(f"{cls.__name__} names no node_loader")
        rows = await load_visible(info, node_ids, cls.node_loader, cls.visible_rows)
        return [cls.from_row(row) if row is not None else None for row in rows]

    @classmethod
    async def visible_rows(cls, info: Info, rows: list[Any | None]) -> list[Any | None]:
        """The rows the viewer may see (others become None); by default, by the account or contract owning them."""
        return await visible_rows(info, rows, cls.node_owner)


@dataclasses.dataclass
class ModelNode(relay.Node):
    """A Relay node wrapping one SQLModel object (an account, a contract, a customer …): its global id is its id."""

    model: strawberry.Private[Any]

    @classmethod
    def resolve_id(cls, root: Self, *, info: Info) -> str:
        return str(root.model.id)

    @classmethod
    def from_model(cls, model: Any) -> Self:
        return cls(model=model)

"""`RowNode`: the one node style. A Relay node built from one database row (or SQLModel object) by `from_row`, its
global id the row's primary key, its plain fields copied from the row (graphql-core reads them directly: see
`fast_fields`).

A subclass names the loader of its rows (`node_loader`) and its visibility rule: by default the account or contract
owning a row (`node_owner`), or its own `visible_rows`. The one `resolve_nodes` then answers `node(id)` with the rows
the viewer may see and None (exactly as for a missing id) for the rest.
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
        nodes = await cls.prefetch(info, [cls.from_row(row) for row in rows if row is not None])
        by_id = {node.row_id: node for node in nodes}
        return [by_id.get(row.id) if row is not None else None for row in rows]

    @classmethod
    async def visible_rows(cls, info: Info, rows: list[Any | None]) -> list[Any | None]:
        """The rows the viewer may see (others become None); by default, by the account or contract owning them."""
        return await visible_rows(info, rows, cls.node_owner)

    @classmethod
    async def prefetch(cls, info: Info, nodes: list[Self]) -> list[Self]:
        """What a type loads for all its nodes at once before they are answered (e.g. a statement's lines)."""
        return nodes

"""`node(id)` for objects that hang off an account or a contract: load the rows, keep those the viewer may see.

Who may see what is decided in `schema.core.access`; this module only finds each row's owner. A row the viewer may not
see becomes None, exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from loaders.base import Loader
from schema.core.access import visible_account_ids, visible_contract_ids
from schema.core.context import Info

Owner = tuple[int | None, int | None]  # (account id, contract id): one of them is set


def parse_id(node_id: str) -> int | None:
    """A database id from a global id's node part; None for anything a BIGINT cannot hold."""
    # isascii: str.isdigit() also accepts digits like "²" that int() refuses.
    return int(node_id) if node_id.isascii() and node_id.isdigit() and len(node_id) <= 18 else None


def account_or_contract(row: Any) -> Owner:
    return getattr(row, "account_id", None), getattr(row, "contract_id", None)


async def visible_rows(info: Info, rows: list[Any | None], owner: Callable[[Any], Owner]) -> list[Any | None]:
    owners = [owner(row) if row is not None else (None, None) for row in rows]
    account_ids = {account for account, _ in owners if account is not None}
    contract_ids = {contract for _, contract in owners if contract is not None}
    accounts = await visible_account_ids(info, account_ids) if account_ids else set()
    contracts = await visible_contract_ids(info, contract_ids) if contract_ids else set()
    return [
        row if row is not None and (account in accounts or contract in contracts) else None
        for row, (account, contract) in zip(rows, owners, strict=True)
    ]


async def load_visible(
    info: Info,
    node_ids: Iterable[str],
    loader: type[Loader[int, Any]],
    keep: Callable[[Info, list[Any | None]], Awaitable[list[Any | None]]] | None = None,
) -> list[Any | None]:
    """The row of each node id the viewer may see, else None; anonymous viewers see nothing and cost nothing."""
    node_ids = list(node_ids)
    if info.context.viewer is None:
        return [None] * len(node_ids)
    ids = [parse_id(node_id) for node_id in node_ids]
    wanted = [i for i in ids if i is not None]
    loaded = dict(zip(wanted, await info.context.loaders.get(loader).load_many(wanted), strict=True))
    rows = [loaded.get(i) if i is not None else None for i in ids]
    if keep is not None:
        return await keep(info, rows)
    return await visible_rows(info, rows, account_or_contract)

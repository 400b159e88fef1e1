"""The one place that says whether the viewer may see an object.

Customers see the accounts and contracts linked to them (and what hangs off those); operators, analysts and admins
see everything (analysts read-only, with personal data masked). Resolvers that answer "not visible" must answer
exactly as for a missing object.
"""

from __future__ import annotations

from collections.abc import Iterable

from loaders.access import LinkedAccountIds, LinkedContractIds
from models.enums import Role
from schema.core.context import Info

STAFF_READERS = frozenset({Role.OPERATOR, Role.ANALYST, Role.ADMIN})


def viewer_is_staff_reader(info: Info) -> bool:
    viewer = info.context.viewer
    return viewer is not None and viewer.role in STAFF_READERS


def viewer_is_analyst(info: Info) -> bool:
    viewer = info.context.viewer
    return viewer is not None and viewer.role is Role.ANALYST


async def visible_account_ids(info: Info, account_ids: Iterable[int]) -> set[int]:
    """The subset of `account_ids` the viewer may see."""
    wanted = set(account_ids)
    viewer = info.context.viewer
    if viewer is None:
        return set()
    if viewer.role in STAFF_READERS:
        return wanted
    linked = await info.context.loaders.get(LinkedAccountIds).load(viewer.customer_id)
    return wanted & linked


async def visible_contract_ids(info: Info, contract_ids: Iterable[int]) -> set[int]:
    wanted = set(contract_ids)
    viewer = info.context.viewer
    if viewer is None:
        return set()
    if viewer.role in STAFF_READERS:
        return wanted
    linked = await info.context.loaders.get(LinkedContractIds).load(viewer.customer_id)
    return wanted & linked


async def can_see_account(info: Info, account_id: int) -> bool:
    return account_id in await visible_account_ids(info, [account_id])


async def can_see_contract(info: Info, contract_id: int) -> bool:
    return contract_id in await visible_contract_ids(info, [contract_id])


def can_see_customer_owned(info: Info, owner_id: int | None) -> bool:
    """Objects that belong to one customer (contract access requests, tech connections): the owner and staff readers."""
    viewer = info.context.viewer
    if viewer is None:
        return False
    return viewer.role in STAFF_READERS or (owner_id is not None and owner_id == viewer.customer_id)

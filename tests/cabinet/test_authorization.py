"""Who may read each cabinet object through `node(id)`: the owner and staff; anyone else gets what a missing id gets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from strawberry.relay import from_base64

from models.enums import Role
from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase
from services.platform.runtime import Runtime
from tests.support.cabinet import (
    CabinetAccount,
    CabinetContract,
    create_cabinet_account,
    create_cabinet_contract,
    global_id,
    token_for,
)
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient

NODE_QUERY = "query ($id: ID!) { node(id: $id) { __typename id } }"
TARIFF_QUERY = "{ me { personalAccounts { currentTariffs { id } } } }"
MISSING_ID = 999_999_999


@dataclass
class World:
    account: CabinetAccount
    contract: CabinetContract
    tariff_id: int


# Each type: how to find the owned object's database id in the world.
TYPES: dict[str, Callable[[World], int | None]] = {
    "PersonalAccount": lambda world: world.account.id,
    "Contract": lambda world: world.contract.id,
    "DeliveryPoint": lambda world: world.contract.point.id,
    "Meter": lambda world: world.account.meters[0].id,
    "Reading": lambda world: world.account.reading_ids[0],
    "ReadingSubmission": lambda world: world.account.submission_ids[0],
    "Charge": lambda world: world.account.charge_ids[0],
    "Statement": lambda world: world.account.statement_ids[0],
    "Payment": lambda world: world.account.payment_ids[0],
    "Tariff": lambda world: world.tariff_id,
}
# A contract's meter and reading are reached through the contract, not the account.
CONTRACT_TYPES: dict[str, Callable[[World], int | None]] = {
    "Meter": lambda world: world.contract.meter.id,
    "Reading": lambda world: world.contract.reading_ids[0],
}

VIEWERS = ("anonymous", "another customer", "OPERATOR", "ANALYST", "ADMIN", "owner")
SEES = {
    "anonymous": False,
    "another customer": False,
    "OPERATOR": True,
    "ANALYST": True,
    "ADMIN": True,
    "owner": True,
}


async def _world(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock, viewer: str
) -> tuple[World, str | None]:
    owner = await create_customer(db, now=clock.now())
    account = await create_cabinet_account(db, now=clock.now(), owner=owner, months=2)
    contract = await create_cabinet_contract(db, now=clock.now(), owner=owner, months=2)
    tariff_id = (await gql.as_token(await token_for(runtime, owner)).execute(TARIFF_QUERY))["me"]["personalAccounts"][
        0
    ]["currentTariffs"][0]["id"]
    world = World(account=account, contract=contract, tariff_id=int(from_base64(tariff_id)[1]))
    if viewer == "anonymous":
        return world, None
    if viewer == "owner":
        return world, await token_for(runtime, owner)
    role = Role.CUSTOMER if viewer == "another customer" else Role(viewer)
    other = await create_customer(db, now=clock.now(), role=role)
    if role is Role.CUSTOMER:
        await create_cabinet_account(db, now=clock.now(), owner=other, months=1)
    return world, await token_for(runtime, other)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize(
    ("type_name", "find"),
    [*TYPES.items(), *((f"{name} of a contract", find) for name, find in CONTRACT_TYPES.items())],
    ids=lambda value: value if isinstance(value, str) else "",
)
async def test_node_is_visible_to_owner_and_staff_and_missing_for_others(
    *,
    gql: GraphQLClient,
    runtime: Runtime,
    db: TransactionalDatabase,
    clock: FrozenClock,
    type_name: str,
    find: Callable[[World], int | None],
    viewer: str,
) -> None:
    # given
    world, token = await _world(gql, runtime, db, clock, viewer)
    graphql_type = type_name.split(" ", 1)[0]
    wanted = global_id(graphql_type, find(world))
    client = gql.as_token(token)

    # when
    body = await client.post(NODE_QUERY, {"id": wanted})
    missing = await client.post(NODE_QUERY, {"id": global_id(graphql_type, MISSING_ID)})

    # then
    visible = SEES[viewer] or (graphql_type == "Tariff" and viewer != "anonymous")
    if visible:
        assert body == {"data": {"node": {"__typename": graphql_type, "id": wanted}}}
    else:
        assert body == missing == {"data": {"node": None}}

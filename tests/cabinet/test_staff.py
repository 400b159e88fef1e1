"""Staff's way into the cabinet: looking accounts up by number, and what analysts see of personal data."""

from __future__ import annotations

import pytest

from models.enums import Role
from services.cabinet.masking import mask_address
from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase
from services.platform.runtime import Runtime
from tests.support.cabinet import create_cabinet_account, global_id, token_for
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient

ACCOUNTS_QUERY = """
query ($number: String, $first: Int, $after: String) {
  accounts(number: $number, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id number address } }
  }
}
"""
ADDRESS_QUERY = "query ($id: ID!) { node(id: $id) { ... on PersonalAccount { address locality } } }"


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, ["UNAUTHENTICATED"]),
        (Role.CUSTOMER, ["FORBIDDEN"]),
        (Role.OPERATOR, []),
        (Role.ANALYST, []),
        (Role.ADMIN, []),
    ],
    ids=["anonymous", "customer", "operator", "analyst", "admin"],
)
async def test_accounts_lookup_is_for_staff_only(
    *,
    gql: GraphQLClient,
    runtime: Runtime,
    db: TransactionalDatabase,
    clock: FrozenClock,
    role: Role | None,
    expected: list[str],
) -> None:
    # given
    token = None
    if role is not None:
        token = await token_for(runtime, await create_customer(db, now=clock.now(), role=role))

    # when
    codes = await gql.as_token(token).error_codes(ACCOUNTS_QUERY, {"number": "8"})

    # then
    assert codes == expected


async def test_staff_find_accounts_by_number_prefix_page_by_page(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    # given
    accounts = [await create_cabinet_account(db, now=clock.now(), months=1) for _ in range(3)]
    numbers = sorted(account.account.number for account in accounts)
    prefix = numbers[0][:5]
    operator = await create_customer(db, now=clock.now(), role=Role.OPERATOR)
    client = gql.as_token(await token_for(runtime, operator))

    # when
    first_page = (await client.execute(ACCOUNTS_QUERY, {"number": prefix, "first": 2}))["accounts"]
    after = first_page["pageInfo"]["endCursor"]
    second_page = (await client.execute(ACCOUNTS_QUERY, {"number": prefix, "first": 100, "after": after}))["accounts"]

    # then
    found = [edge["node"]["number"] for edge in first_page["edges"] + second_page["edges"]]
    assert set(numbers) <= set(found)
    assert found == sorted(found)
    assert len(found) == len(set(found))
    assert first_page["pageInfo"]["hasNextPage"]


async def test_account_number_with_letters_is_a_bad_user_input(
    gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock
) -> None:
    analyst = await create_customer(db, now=clock.now(), role=Role.ANALYST)

    codes = await gql.as_token(await token_for(runtime, analyst)).error_codes(ACCOUNTS_QUERY, {"number": "12a"})

    assert codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("role", "address"),
    [
        (Role.ANALYST, "г. Архангельск, пр-кт Троицкий, ***"),
        (Role.OPERATOR, "г. Архангельск, пр-кт Троицкий, д. 1, кв. 1"),
        (Role.ADMIN, "г. Архангельск, пр-кт Троицкий, д. 1, кв. 1"),
        (Role.CUSTOMER, "г. Архангельск, пр-кт Троицкий, д. 1, кв. 1"),
    ],
    ids=["analyst", "operator", "admin", "owner"],
)
async def test_analysts_see_the_address_up_to_the_street(
    *, gql: GraphQLClient, runtime: Runtime, db: TransactionalDatabase, clock: FrozenClock, role: Role, address: str
) -> None:
    # given
    viewer = await create_customer(db, now=clock.now(), role=role)
    owner = viewer if role is Role.CUSTOMER else None
    account = await create_cabinet_account(db, now=clock.now(), owner=owner, months=1)

    # when
    data = await gql.as_token(await token_for(runtime, viewer)).execute(
        ADDRESS_QUERY, {"id": global_id("PersonalAccount", account.id)}
    )

    # then
    assert data["node"] == {"address": address, "locality": "Архангельск"}


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("г. Котлас, ул. Мира, д. 5, кв. 12", "г. Котлас, ул. Мира, ***"),
        (
            "Архангельская обл., Приморский р-н, д. Лисестрово, ул. Лесная, д. 7",
            "Архангельская обл., Приморский р-н, д. Лисестрово, ул. Лесная, ***",
        ),
        ("г. Северодвинск, СНТ «Беломорье», линия 8, уч. 112", "г. Северодвинск, СНТ «Беломорье», ***"),
        ("г. Архангельск", "г. Архангельск"),
    ],
)
def test_mask_address_hides_everything_from_the_first_number_on(address: str, masked: str) -> None:
    assert mask_address(address) == masked


CUSTOMER_ACCOUNTS = "query ($id: ID!) { node(id: $id) { ... on Customer { personalAccounts { number } } } }"


@pytest.mark.parametrize(
    ("caller", "sees_accounts"),
    [("stranger", False), ("operator", True), ("analyst", True), ("admin", True), ("owner", True)],
)
async def test_a_customers_accounts_are_read_through_the_customer_by_staff_and_the_owner_only(
    gql: GraphQLClient, runtime: Runtime, caller: str, sees_accounts: bool
) -> None:
    # given
    db, now = runtime.db, runtime.clock.now()
    owner = await create_customer(db, now=now)
    account, _ = await create_account(db, now=now, owner=owner)
    viewers = {
        "stranger": await create_customer(db, now=now),
        "operator": await create_customer(db, now=now, role=Role.OPERATOR),
        "analyst": await create_customer(db, now=now, role=Role.ANALYST),
        "admin": await create_customer(db, now=now, role=Role.ADMIN),
        "owner": owner,
    }

    # when
    data = await gql.as_token(await token_for(runtime, viewers[caller])).execute(
        CUSTOMER_ACCOUNTS, {"id": global_id("Customer", owner.id)}
    )

    # then: staff and the owner see the accounts; another customer sees no customer at all
    expected = {"personalAccounts": [{"number": account.number}]} if sees_accounts else None
    assert data["node"] == expected

"""A token is honoured only for its session's customer and role as stored, not as it claims (issue 13).

The attacker here holds the signing key (leaked, or a token minted by a bug) and a live session id of their own:
a token naming that session with another customer, or with `role: ADMIN`, must be worth nothing.
"""

from __future__ import annotations

import pytest

from models.enums import Role
from services.auth_tokens import issue_access_token
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import sign_in_as

ME = "{ me { id phone role } }"
STAFF_ONLY = "{ accounts(first: 1) { edges { node { id } } } }"
FORBIDDEN = 4403


def forged(runtime: Runtime, *, customer_id: int, role: Role, session_id: object) -> str:
    token, _ = issue_access_token(
        secret=runtime.settings.secret_key,
        customer_id=customer_id,
        role=role,
        session_id=session_id,  # type: ignore[arg-type]
        now=runtime.clock.now(),
    )
    return token


async def test_a_token_naming_a_live_session_but_another_customer_is_refused(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: the attacker's live session, and a victim
    attacker = await create_customer(runtime.db, now=clock.now())
    victim = await create_customer(runtime.db, now=clock.now())
    issued = await sign_in_as(runtime, attacker)
    assert victim.id is not None
    token = forged(runtime, customer_id=victim.id, role=Role.CUSTOMER, session_id=issued.session_id)

    # when
    honest = await gql.as_token(issued.access_token).execute(ME)
    codes = await gql.as_token(token).error_codes(ME)

    # then
    assert honest["me"]["phone"] == attacker.phone
    assert codes == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ANALYST, Role.OPERATOR])
async def test_a_token_claiming_a_staff_role_its_customer_has_not_is_refused(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, role: Role
) -> None:
    customer = await create_customer(runtime.db, now=clock.now())
    issued = await sign_in_as(runtime, customer)
    assert customer.id is not None
    token = forged(runtime, customer_id=customer.id, role=role, session_id=issued.session_id)

    assert await gql.as_token(token).error_codes(STAFF_ONLY) == ["UNAUTHENTICATED"]
    assert await gql.as_token(issued.access_token).error_codes(STAFF_ONLY) == ["FORBIDDEN"]


async def test_a_staff_member_demoted_since_the_token_was_issued_is_not_staff_any_more(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    # given: an analyst's token, and the analyst made a plain customer afterwards
    analyst = await create_customer(runtime.db, now=clock.now(), role=Role.ANALYST)
    issued = await sign_in_as(runtime, analyst)
    async with runtime.db.session() as session:
        from models import Customer

        stored = await session.get(Customer, analyst.id)
        assert stored is not None
        stored.role = Role.CUSTOMER
        await session.commit()

    assert await gql.as_token(issued.access_token).error_codes(STAFF_ONLY) == ["UNAUTHENTICATED"]


async def test_a_websocket_with_a_forged_claim_token_is_refused(
    gql: GraphQLClient, runtime: Runtime, clock: FrozenClock
) -> None:
    attacker = await create_customer(runtime.db, now=clock.now())
    victim = await create_customer(runtime.db, now=clock.now())
    issued = await sign_in_as(runtime, attacker)
    assert victim.id is not None
    token = forged(runtime, customer_id=victim.id, role=Role.CUSTOMER, session_id=issued.session_id)

    async with gql.websocket(init=False) as socket:
        await socket.ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        code = await socket.close_code()

    assert code == FORBIDDEN

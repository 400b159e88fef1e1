"""«Управление объектами»: `unlinkContract` removes a contract from the viewer's cabinet only."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry import relay

from models.objects import ContractLink
from services.platform.runtime import Runtime
from tests.objects.test_authorization import outcome
from tests.support.cabinet import create_cabinet_contract
from tests.support.callers import make_callers, matrix
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import count_where, global_id

UNLINK = """mutation($input: UnlinkContractInput!) {
  unlinkContract(input: $input) { unlinkedContractId errors { code message field } } }"""
MY_CONTRACTS = "{ me { contracts { id } } }"


async def _links(runtime: Runtime, contract_id: int) -> int:
    return await count_where(runtime, "contract_link", "contract_id = :c", c=contract_id)


@pytest.mark.parametrize(
    ("caller", "expected"), matrix("UNAUTHENTICATED", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "OK")
)
async def test_who_may_unlink_a_contract(gql: GraphQLClient, runtime: Runtime, caller: str, expected: str) -> None:
    callers = await make_callers(runtime)
    contract = await create_cabinet_contract(
        runtime.db, now=runtime.clock.now(), owner=callers.people["owner"], months=1
    )

    body = await gql.as_token(callers.tokens[caller]).post(
        UNLINK, {"input": {"contractId": global_id("Contract", contract.id)}}
    )

    assert outcome(body, "unlinkContract") == expected
    assert await _links(runtime, contract.id) == (0 if expected == "OK" else 1)


async def test_unlinking_leaves_the_other_customers_link_and_the_contract(gql: GraphQLClient, runtime: Runtime) -> None:
    now = runtime.clock.now()
    me, colleague = await create_customer(runtime.db, now=now), await create_customer(runtime.db, now=now)
    contract = await create_cabinet_contract(runtime.db, now=now, owner=me, months=1)
    async with runtime.db.session() as session:
        assert colleague.id is not None
        session.add(ContractLink(customer_id=colleague.id, contract_id=contract.id, linked_at=now))
        await session.commit()
    mine, theirs = gql.as_token(await token_for(runtime, me)), gql.as_token(await token_for(runtime, colleague))

    data = await mine.execute(UNLINK, {"input": {"contractId": global_id("Contract", contract.id)}})

    assert data["unlinkContract"] == {
        "unlinkedContractId": global_id("Contract", contract.id),
        "errors": [],
    }
    assert (await mine.execute(MY_CONTRACTS))["me"]["contracts"] == []
    assert (await theirs.execute(MY_CONTRACTS))["me"]["contracts"] == [{"id": global_id("Contract", contract.id)}]
    assert await count_where(runtime, "contract", "id = :c", c=contract.id) == 1
    # a second time: it is no longer the viewer's, exactly like a contract that does not exist
    again = await mine.execute(UNLINK, {"input": {"contractId": global_id("Contract", contract.id)}})
    missing = await mine.execute(UNLINK, {"input": {"contractId": global_id("Contract", 10**12)}})
    assert again["unlinkContract"]["errors"] == missing["unlinkContract"]["errors"]
    assert again["unlinkContract"]["errors"][0]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "contract_id",
    [relay.to_base64("Contract", "9" * 30), relay.to_base64("PersonalAccount", "1")],
)
async def test_a_bad_id_is_not_found_and_changes_nothing(
    gql: GraphQLClient, runtime: Runtime, contract_id: Any
) -> None:
    owner = await create_customer(runtime.db, now=runtime.clock.now())
    contract = await create_cabinet_contract(runtime.db, now=runtime.clock.now(), owner=owner, months=1)

    body = await gql.as_token(await token_for(runtime, owner)).post(UNLINK, {"input": {"contractId": contract_id}})

    assert outcome(body, "unlinkContract") == "NOT_FOUND"
    assert await _links(runtime, contract.id) == 1

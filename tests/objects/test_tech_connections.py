"""Grid companies push tech connections with a service token; customers see theirs, matched by phone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from models import Customer
from models.enums import Role, TechConnectionStatus
from models.objects import GridCompany
from services.errors import DomainError, ErrorCode
from services.integrations.service_tokens import TECH_CONNECTIONS_WRITE, ServicePrincipal
from services.objects.tech_connections import TechConnectionItem, upsert_tech_connections
from services.platform.database import run
from services.platform.hashing import sha256_hex
from services.platform.runtime import Runtime
from tests.support.factories import create_customer, unique_phone
from tests.support.graphql import GraphQLClient
from tests.support.objects import count_where, integration_token, token_for, valid_inn

UPSERT = """
mutation($input: UpsertTechConnectionsInput!) {
  upsertTechConnections(input: $input) { created updated errors { field code message } }
}"""

MY_TECH_CONNECTIONS = """
{ me { techConnections { id requestNumber address capacityKw status connectedOn gridCompany { name inn } } } }
"""


@pytest.fixture
async def grid_company(runtime: Runtime) -> GridCompany:
    company = GridCompany(name="ООО «Тестовая электросеть»", inn=valid_inn())
    async with runtime.db.session() as session:
        session.add(company)
        await session.commit()
    return company


@pytest.fixture
async def customer(runtime: Runtime) -> Customer:
    return await create_customer(runtime.db, now=runtime.clock.now())


def item(phone: str, **overrides: Any) -> dict[str, Any]:
    return {
        "externalId": "tp-0001",
        "requestNumber": "26-ТП-01234",
        "applicantPhone": phone,
        "address": "Приморский р-н, д. Лайский Док, ул. Новая, д. 5",
        "capacityKw": "15.00",
        "status": "CONNECTED",
        "connectedOn": "2026-10-01",
        **overrides,
    }


async def upsert(gql: GraphQLClient, token: str | None, company: GridCompany, *items: dict[str, Any]) -> dict[str, Any]:
    body = await gql.as_token(token).post(UPSERT, {"input": {"gridCompanyInn": company.inn, "items": list(items)}})
    return body


async def connections_of(runtime: Runtime, company: GridCompany) -> int:
    return await count_where(runtime, "tech_connection", "grid_company_id = :id", id=company.id)


async def test_a_grid_company_pushes_a_connection_the_applicant_then_sees(
    gql: GraphQLClient, runtime: Runtime, grid_company: GridCompany, customer: Customer
) -> None:
    # given
    token = await integration_token(runtime, TECH_CONNECTIONS_WRITE)
    phone_as_typed = "8" + customer.phone[2:]

    # when
    body = await upsert(gql, token, grid_company, item(phone_as_typed))

    # then
    assert body["data"]["upsertTechConnections"] == {"created": 1, "updated": 0, "errors": []}
    mine = await gql.as_token(await token_for(runtime, customer)).execute(MY_TECH_CONNECTIONS)
    [connection] = mine["me"]["techConnections"]
    assert {k: v for k, v in connection.items() if k != "id"} == {
        "requestNumber": "26-ТП-01234",
        "address": "Приморский р-н, д. Лайский Док, ул. Новая, д. 5",
        "capacityKw": "15.00",
        "status": "CONNECTED",
        "connectedOn": "2026-10-01",
        "gridCompany": {"name": "ООО «Тестовая электросеть»", "inn": grid_company.inn},
    }
    node = await gql.as_token(await token_for(runtime, customer)).execute(
        "query($id: ID!) { node(id: $id) { id } }", {"id": connection["id"]}
    )
    assert node == {"node": {"id": connection["id"]}}


async def test_sending_the_same_connection_again_updates_it_instead_of_adding_one(
    gql: GraphQLClient, runtime: Runtime, grid_company: GridCompany, customer: Customer
) -> None:
    token = await integration_token(runtime, TECH_CONNECTIONS_WRITE)
    await upsert(gql, token, grid_company, item(customer.phone))

    again = await upsert(gql, token, grid_company, item(customer.phone, status="CONTRACT_OFFER_SENT"))
    repeated = await upsert(gql, token, grid_company, item(customer.phone, status="CONTRACT_OFFER_SENT"))

    assert again["data"]["upsertTechConnections"] == {"created": 0, "updated": 1, "errors": []}
    assert repeated["data"]["upsertTechConnections"] == {"created": 0, "updated": 1, "errors": []}
    assert await connections_of(runtime, grid_company) == 1
    mine = await gql.as_token(await token_for(runtime, customer)).execute(MY_TECH_CONNECTIONS)
    assert [c["status"] for c in mine["me"]["techConnections"]] == ["CONTRACT_OFFER_SENT"]


async def test_an_applicant_who_registers_later_sees_what_was_sent_for_their_phone(
    gql: GraphQLClient, runtime: Runtime, grid_company: GridCompany
) -> None:
    # given
    phone = unique_phone()
    await upsert(gql, await integration_token(runtime, TECH_CONNECTIONS_WRITE), grid_company, item(phone))

    # when
    newcomer = await create_customer(runtime.db, now=runtime.clock.now(), phone=phone)
    stranger = await create_customer(runtime.db, now=runtime.clock.now())

    # then
    theirs = await gql.as_token(await token_for(runtime, newcomer)).execute(MY_TECH_CONNECTIONS)
    others = await gql.as_token(await token_for(runtime, stranger)).execute(MY_TECH_CONNECTIONS)
    assert [c["requestNumber"] for c in theirs["me"]["techConnections"]] == ["26-ТП-01234"]
    assert others["me"]["techConnections"] == []


async def test_a_batch_with_a_bad_item_is_refused_whole(
    gql: GraphQLClient, runtime: Runtime, grid_company: GridCompany, customer: Customer
) -> None:
    token = await integration_token(runtime, TECH_CONNECTIONS_WRITE)

    body = await upsert(
        gql,
        token,
        grid_company,
        item(customer.phone),
        item("12345", externalId="tp-0002"),
        item(customer.phone, externalId="tp-0003", capacityKw="-1"),
    )

    assert [(e["code"], e["field"]) for e in body["data"]["upsertTechConnections"]["errors"]] == [
        ("INVALID_PHONE", ["input", "items", "1", "applicantPhone"]),
        ("INVALID_INPUT", ["input", "items", "2", "capacityKw"]),
    ]
    assert await connections_of(runtime, grid_company) == 0


async def test_an_unknown_grid_company_is_refused(gql: GraphQLClient, runtime: Runtime, customer: Customer) -> None:
    unknown = GridCompany(name="Неизвестная", inn=valid_inn())

    body = await upsert(gql, await integration_token(runtime, TECH_CONNECTIONS_WRITE), unknown, item(customer.phone))

    assert [e["code"] for e in body["data"]["upsertTechConnections"]["errors"]] == ["NOT_FOUND"]
    assert await count_where(runtime, "tech_connection", "applicant_phone = :phone", phone=customer.phone) == 0


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        ("anonymous", "UNAUTHENTICATED"),
        ("unknown token", "UNAUTHENTICATED"),
        ("revoked token", "UNAUTHENTICATED"),
        ("token without the scope", "FORBIDDEN"),
        ("customer", "FORBIDDEN"),
        ("operator", "FORBIDDEN"),
    ],
)
async def test_only_an_integration_with_the_scope_may_push(
    *, gql: GraphQLClient, runtime: Runtime, grid_company: GridCompany, customer: Customer, caller: str, code: str
) -> None:
    # given
    token: str | None = None
    if caller == "unknown token":
        token = "svc_" + "x" * 43
    elif caller == "revoked token":
        token = await integration_token(runtime, TECH_CONNECTIONS_WRITE)
        async with runtime.db.session() as session:
            revoke = sa.text("UPDATE service_token SET revoked_at = now() WHERE token_hash = :hash")
            await run(session, revoke, {"hash": sha256_hex(token)})
            await session.commit()
    elif caller == "token without the scope":
        token = await integration_token(runtime, "readings:write")
    elif caller == "customer":
        token = await token_for(runtime, customer)
    elif caller == "operator":
        token = await token_for(runtime, await create_customer(runtime.db, now=runtime.clock.now(), role=Role.OPERATOR))

    # when
    body = await upsert(gql, token, grid_company, item(customer.phone))

    # then
    assert [error["extensions"]["code"] for error in body["errors"]] == [code]
    assert await connections_of(runtime, grid_company) == 0


async def test_the_service_refuses_a_token_without_the_scope(
    runtime: Runtime, grid_company: GridCompany, customer: Customer
) -> None:
    # given: a grid company's record and a token granting another scope
    record = TechConnectionItem(
        external_id="tp-0001",
        request_number="26-ТП-01234",
        applicant_phone=customer.phone,
        address="Приморский р-н, д. Лайский Док, ул. Новая, д. 5",
        capacity_kw=Decimal("15.00"),
        status=TechConnectionStatus.CONNECTED,
        connected_on=date(2026, 10, 1),
    )
    other = ServicePrincipal(token_id=1, name="сети", scopes=frozenset({"readings:write"}))
    allowed = ServicePrincipal(token_id=1, name="сети", scopes=frozenset({TECH_CONNECTIONS_WRITE}))

    # when / then: refused by the service itself, nothing written
    with pytest.raises(DomainError) as refused:
        await upsert_tech_connections(runtime, principal=other, grid_company_inn=grid_company.inn, items=[record])
    assert [problem.code for problem in refused.value.problems] == [ErrorCode.FORBIDDEN]
    assert await connections_of(runtime, grid_company) == 0

    # and with the scope the record is stored
    result = await upsert_tech_connections(
        runtime, principal=allowed, grid_company_inn=grid_company.inn, items=[record]
    )
    assert (result.created, result.updated) == (1, 0)
    assert await connections_of(runtime, grid_company) == 1

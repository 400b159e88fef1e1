"""Who may use each objects field and mutation: anonymous, another customer, the wrong staff role, the owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from strawberry import relay

from models import ContractAccessRequest, Customer, PersonalAccount
from models.enums import FilePurpose, TechConnectionStatus
from models.infra import StoredFile
from models.objects import GridCompany, TechConnection
from services.platform.runtime import Runtime
from tests.support.callers import make_callers, matrix
from tests.support.factories import create_account
from tests.support.graphql import GraphQLClient
from tests.support.objects import add_activation_code, global_id, pdf_document, post_upload, valid_inn


@dataclass
class World:
    owner: Customer
    account: PersonalAccount
    request: ContractAccessRequest
    connection: TechConnection
    tokens: dict[str, str | None]


@pytest.fixture
async def world(runtime: Runtime) -> World:
    now = runtime.clock.now()
    callers = await make_callers(runtime)
    people, tokens = callers.people, callers.tokens
    owner = people["owner"]
    account, _ = await create_account(runtime.db, now=now, owner=owner)
    await add_activation_code(runtime.db, account, "CODE2345", issued_at=now, expires_at=now + timedelta(days=90))
    async with runtime.db.session() as session:
        company = GridCompany(name="ООО «Сеть»", inn=valid_inn())
        application = StoredFile(
            owner_id=owner.id, purpose=FilePurpose.CONTRACT_APPLICATION, storage_key="contract_application/" + "0" * 32,
            filename="a.pdf", content_type="application/pdf", size_bytes=1, sha256="0" * 64, created_at=now,
        )  # fmt: skip
        session.add_all([company, application])
        await session.flush()
        assert owner.id is not None
        assert application.id is not None
        assert company.id is not None
        request = ContractAccessRequest(
            customer_id=owner.id, inn="7802312751", contract_number="15-000123", application_file_id=application.id,
            created_at=now,
        )  # fmt: skip
        connection = TechConnection(
            grid_company_id=company.id, external_id="tp-1", request_number="26-ТП-1", applicant_phone=owner.phone,
            customer_id=owner.id, address="д. Лайский Док", capacity_kw=Decimal("15"),
            status=TechConnectionStatus.CONNECTED, updated_at=now,
        )  # fmt: skip
        session.add_all([request, connection])
        await session.commit()
    return World(owner=owner, account=account, request=request, connection=connection, tokens=tokens)


def outcome(body: dict[str, Any], field: str) -> str:
    """UNAUTHENTICATED / FORBIDDEN (a GraphQL error), a payload's first error code, NULL, or OK."""
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    value = body["data"][field]
    if value is None:
        return "NULL"
    if isinstance(value, dict) and value.get("errors"):
        return str(value["errors"][0]["code"])
    return "OK"


LINK = """mutation($input: LinkPersonalAccountInput!) { linkPersonalAccount(input: $input) { errors { code } } }"""
UNLINK = (
    """mutation($input: UnlinkPersonalAccountInput!) { unlinkPersonalAccount(input: $input) { errors { code } } }"""
)
RECEIPTS = """mutation($input: UpdateReceiptDeliveryInput!) {
  updateReceiptDelivery(input: $input) { errors { code } } }"""
START = """mutation($input: StartContractAccessReviewInput!) {
  startContractAccessReview(input: $input) { errors { code } } }"""
REVIEW = """mutation($input: ReviewContractAccessRequestInput!) {
  reviewContractAccessRequest(input: $input) { errors { code } } }"""
QUEUE = "{ contractAccessRequests(first: 1) { edges { node { id } } } }"
REQUEST_NODE = "query($id: ID!) { node(id: $id) { ... on ContractAccessRequest { id status } } }"
CONNECTION_NODE = "query($id: ID!) { node(id: $id) { ... on TechConnection { id address } } }"
CUSTOMER_OBJECTS = """query($id: ID!) {
  node(id: $id) { ... on Customer { contractAccessRequests { id } techConnections { id } } } }"""
RECEIPT_SETTING = """query($id: ID!) {
  node(id: $id) { ... on PersonalAccount { receiptDelivery { electronic } } } }"""
REQUEST_ACCESS = """mutation($input: RequestContractAccessInput!) {
  requestContractAccess(input: $input) { errors { code } } }"""


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "OK", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "ALREADY_LINKED"),
)
async def test_link_personal_account(gql: GraphQLClient, world: World, caller: str, expected: str) -> None:
    variables = {"input": {"number": world.account.number, "activationCode": "CODE2345"}}

    body = await gql.as_token(world.tokens[caller]).post(LINK, variables)

    assert outcome(body, "linkPersonalAccount") == expected


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "NOT_FOUND", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "OK"),
)
@pytest.mark.parametrize(
    ("mutation", "field", "extra"),
    [
        (UNLINK, "unlinkPersonalAccount", {}),
        (RECEIPTS, "updateReceiptDelivery", {"electronic": True, "email": "x@mail.ru"}),
    ],
)
async def test_account_mutations(
    *, gql: GraphQLClient, world: World, caller: str, expected: str, mutation: str, field: str, extra: dict[str, Any]
) -> None:
    variables = {"input": {"accountId": global_id("PersonalAccount", world.account.id), **extra}}

    body = await gql.as_token(world.tokens[caller]).post(mutation, variables)

    assert outcome(body, field) == expected


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "OK", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "OK"),
)
async def test_request_contract_access(app_client: httpx.AsyncClient, world: World, caller: str, expected: str) -> None:
    response = await post_upload(
        app_client,
        query=REQUEST_ACCESS,
        variables={"input": {"inn": "7802312751", "contractNumber": "15-000123", "application": None}},
        file_path="variables.input.application",
        content=pdf_document(),
        token=world.tokens[caller],
    )

    assert outcome(response.json(), "requestContractAccess") == expected


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("UNAUTHENTICATED", "FORBIDDEN", "OK", "FORBIDDEN", "OK", "FORBIDDEN"),
)
@pytest.mark.parametrize(
    ("document", "field", "extra"),
    [
        (QUEUE, "contractAccessRequests", None),
        (START, "startContractAccessReview", {}),
        (REVIEW, "reviewContractAccessRequest", {"decision": "REJECT", "reason": "Нет подписи"}),
    ],
)
async def test_operator_fields(
    *, gql: GraphQLClient, world: World, caller: str, expected: str, document: str, field: str,
    extra: dict[str, Any] | None,
) -> None:  # fmt: skip
    variables = None
    if extra is not None:
        variables = {"input": {"requestId": global_id("ContractAccessRequest", world.request.id), **extra}}

    body = await gql.as_token(world.tokens[caller]).post(document, variables)

    assert outcome(body, field) == expected


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix("NULL", "NULL", "OK", "OK", "OK", "OK"),
)
@pytest.mark.parametrize(
    ("document", "type_name"),
    [
        (REQUEST_NODE, "ContractAccessRequest"),
        (CONNECTION_NODE, "TechConnection"),
        (CUSTOMER_OBJECTS, "Customer"),
    ],
)
async def test_reading_a_customers_objects(
    *, gql: GraphQLClient, world: World, caller: str, expected: str, document: str, type_name: str
) -> None:
    pk = {"ContractAccessRequest": world.request.id, "TechConnection": world.connection.id, "Customer": world.owner.id}

    body = await gql.as_token(world.tokens[caller]).post(document, {"id": global_id(type_name, pk[type_name])})

    assert outcome(body, "node") == expected


@pytest.mark.parametrize(
    ("caller", "expected"),
    matrix(None, None, {"receiptDelivery": None}, {"receiptDelivery": None}, {"receiptDelivery": None},
                  {"receiptDelivery": {"electronic": False}}),
)  # fmt: skip
async def test_the_receipt_setting_is_the_viewers_own(
    gql: GraphQLClient, world: World, caller: str, expected: dict[str, Any] | None
) -> None:
    body = await gql.as_token(world.tokens[caller]).post(
        RECEIPT_SETTING, {"id": global_id("PersonalAccount", world.account.id)}
    )

    assert body["data"]["node"] == expected


async def test_the_application_template_url_is_public(gql: GraphQLClient) -> None:
    data = await gql.execute("{ contractAccessApplicationTemplateUrl }")

    assert data["contractAccessApplicationTemplateUrl"].endswith("/templates/contract-access-application.pdf")


@pytest.mark.parametrize("type_name", ["ContractAccessRequest", "TechConnection"])
async def test_an_id_too_large_for_the_database_is_simply_missing(
    gql: GraphQLClient, world: World, type_name: str
) -> None:
    body = await gql.as_token(world.tokens["operator"]).post(
        "query($id: ID!) { node(id: $id) { id } }", {"id": relay.to_base64(type_name, "9" * 30)}
    )

    assert body == {"data": {"node": None}}


async def test_unlinking_by_an_id_too_large_for_the_database_is_not_found(gql: GraphQLClient, world: World) -> None:
    body = await gql.as_token(world.tokens["owner"]).post(
        UNLINK, {"input": {"accountId": relay.to_base64("PersonalAccount", "9" * 30)}}
    )

    assert outcome(body, "unlinkPersonalAccount") == "NOT_FOUND"

"""Contract access: a request with the signed application (a multipart upload), reviewed by an operator."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from models import Contract, Customer
from models.enums import Role
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.objects import (
    count_where,
    create_contract,
    file_count,
    pdf_document,
    post_upload,
    sms_of,
    token_for,
)

REQUEST = """
mutation($input: RequestContractAccessInput!) {
  requestContractAccess(input: $input) {
    contractAccessRequest { id status inn contractNumber application { filename contentType sizeBytes } }
    errors { field code message }
  }
}"""

START_REVIEW = """
mutation($input: StartContractAccessReviewInput!) {
  startContractAccessReview(input: $input) { contractAccessRequest { id status } errors { field code message } }
}"""

REVIEW = """
mutation($input: ReviewContractAccessRequestInput!) {
  reviewContractAccessRequest(input: $input) {
    contractAccessRequest { id status rejectionReason contract { number } }
    errors { field code message }
  }
}"""

QUEUE = """
query($status: ContractAccessStatus, $first: Int, $after: String) {
  contractAccessRequests(status: $status, first: $first, after: $after) {
    edges { node { id contractNumber status applicant { phone } } }
    pageInfo { hasNextPage endCursor }
  }
}"""

MY_REQUESTS = """
{ me { contractAccessRequests { id status rejectionReason contract { number } } contracts { number } } }
"""


@pytest.fixture
async def customer(runtime: Runtime) -> Customer:
    return await create_customer(runtime.db, now=runtime.clock.now())


@pytest.fixture
async def operator(runtime: Runtime) -> Customer:
    return await create_customer(runtime.db, now=runtime.clock.now(), role=Role.OPERATOR)


@pytest.fixture
async def contract(runtime: Runtime) -> Contract:
    return await create_contract(runtime.db, now=runtime.clock.now())


def request_variables(inn: str, number: str) -> dict[str, Any]:
    return {"input": {"inn": inn, "contractNumber": number, "application": None}}


async def request_access(
    app_client: httpx.AsyncClient,
    token: str,
    *,
    inn: str,
    number: str,
    content: bytes | None = None,
    filename: str = "zayavlenie.pdf",
    preflight: bool = True,
) -> httpx.Response:
    return await post_upload(
        app_client,
        query=REQUEST,
        variables=request_variables(inn, number),
        file_path="variables.input.application",
        content=pdf_document() if content is None else content,
        filename=filename,
        token=token,
        preflight=preflight,
    )


def payload_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["requestContractAccess"]
    return payload


async def nothing_stored(runtime: Runtime) -> bool:
    return (
        await count_where(runtime, "contract_access_request") == 0
        and await count_where(runtime, "stored_file") == 0
        and await file_count(runtime) == 0
    )


async def test_a_request_with_a_pdf_is_approved_by_an_operator_and_the_customer_sees_the_contract(
    *, app_client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime, customer: Customer, operator: Customer,
    contract: Contract,
) -> None:  # fmt: skip
    # given: the customer sends the signed application
    customer_token, operator_token = await token_for(runtime, customer), await token_for(runtime, operator)
    application = pdf_document()
    response = await request_access(
        app_client, customer_token, inn=f" {contract.inn} ", number=contract.number, content=application
    )
    sent = payload_of(response)
    assert sent["errors"] == []
    request = sent["contractAccessRequest"]
    assert (request["status"], request["inn"], request["contractNumber"]) == (
        "SUBMITTED",
        contract.inn,
        contract.number,
    )
    assert request["application"] == {
        "filename": "zayavlenie.pdf", "contentType": "application/pdf", "sizeBytes": len(application)
    }  # fmt: skip
    assert await file_count(runtime) == 1

    # when: an operator finds it in the queue, opens it and approves it
    queue = await gql.as_token(operator_token).execute(QUEUE, {"status": "SUBMITTED"})
    opened = await gql.as_token(operator_token).execute(START_REVIEW, {"input": {"requestId": request["id"]}})
    customer_view = await gql.as_token(customer_token).execute(MY_REQUESTS)
    approved = await gql.as_token(operator_token).execute(
        REVIEW, {"input": {"requestId": request["id"], "decision": "APPROVE"}}
    )

    # then
    assert [edge["node"]["id"] for edge in queue["contractAccessRequests"]["edges"]] == [request["id"]]
    assert queue["contractAccessRequests"]["edges"][0]["node"]["applicant"] == {"phone": customer.phone}
    assert opened["startContractAccessReview"]["contractAccessRequest"]["status"] == "UNDER_REVIEW"
    assert customer_view["me"]["contractAccessRequests"][0]["status"] == "UNDER_REVIEW"
    assert approved["reviewContractAccessRequest"] == {
        "contractAccessRequest": {
            "id": request["id"], "status": "APPROVED", "rejectionReason": None, "contract": {"number": contract.number}
        },
        "errors": [],
    }  # fmt: skip
    mine = await gql.as_token(customer_token).execute(MY_REQUESTS)
    assert mine["me"]["contracts"] == [{"number": contract.number}]
    assert mine["me"]["contractAccessRequests"][0]["contract"] == {"number": contract.number}
    assert await sms_of(runtime, customer, "CONTRACT_ADDED") == [
        f"Сведения по договору {contract.number} добавлены в Личный кабинет ТГК-2 Энергосбыт."
    ]


async def test_a_rejection_needs_a_reason_which_the_customer_then_sees(
    *, app_client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime, customer: Customer, operator: Customer,
    contract: Contract,
) -> None:  # fmt: skip
    # given
    customer_token, operator_token = await token_for(runtime, customer), await token_for(runtime, operator)
    sent = payload_of(await request_access(app_client, customer_token, inn=contract.inn, number=contract.number))
    request_id = sent["contractAccessRequest"]["id"]
    operator_gql = gql.as_token(operator_token)

    # when
    without_reason = await operator_gql.execute(
        REVIEW, {"input": {"requestId": request_id, "decision": "REJECT", "reason": "  "}}
    )
    rejected = await operator_gql.execute(
        REVIEW, {"input": {"requestId": request_id, "decision": "REJECT", "reason": "Заявление не подписано"}}
    )
    again = await operator_gql.execute(REVIEW, {"input": {"requestId": request_id, "decision": "APPROVE"}})

    # then
    assert [e["code"] for e in without_reason["reviewContractAccessRequest"]["errors"]] == ["REASON_REQUIRED"]
    assert rejected["reviewContractAccessRequest"]["contractAccessRequest"]["status"] == "REJECTED"
    assert [e["code"] for e in again["reviewContractAccessRequest"]["errors"]] == ["ALREADY_REVIEWED"]
    mine = await gql.as_token(customer_token).execute(MY_REQUESTS)
    assert mine["me"]["contractAccessRequests"] == [
        {"id": request_id, "status": "REJECTED", "rejectionReason": "Заявление не подписано", "contract": None}
    ]
    assert mine["me"]["contracts"] == []
    assert await sms_of(runtime, customer, "CONTRACT_REQUEST_REJECTED") == [
        f"Заявка на доступ к договору {contract.number} в Личном кабинете отклонена. Причина: Заявление не подписано"
    ]


async def test_approving_a_request_for_a_contract_that_does_not_exist_is_refused(
    *, app_client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime, customer: Customer, operator: Customer,
    contract: Contract,
) -> None:  # fmt: skip
    # given: the INN is valid but not the contract's
    customer_token, operator_token = await token_for(runtime, customer), await token_for(runtime, operator)
    sent = payload_of(await request_access(app_client, customer_token, inn="7802312751", number=contract.number))
    request_id = sent["contractAccessRequest"]["id"]

    # when
    data = await gql.as_token(operator_token).execute(
        REVIEW, {"input": {"requestId": request_id, "decision": "APPROVE"}}
    )

    # then
    assert [e["code"] for e in data["reviewContractAccessRequest"]["errors"]] == ["NOT_FOUND"]
    assert await count_where(runtime, "contract_link", "customer_id = :id", id=customer.id) == 0
    assert await count_where(runtime, "contract_access_request", "status = 'SUBMITTED'") == 1
    assert await sms_of(runtime, customer, "CONTRACT_ADDED") == []


@pytest.mark.parametrize(
    ("inn", "number", "codes"),
    [
        ("7802312752", "15-000123", ["INVALID_INN"]),
        ("78023127", "15-000123", ["INVALID_INN"]),
        ("7802312751", "15000123", ["INVALID_CONTRACT_NUMBER"]),
        ("7802312751", "15-00012", ["INVALID_CONTRACT_NUMBER"]),
        ("1234", "договор 5", ["INVALID_INN", "INVALID_CONTRACT_NUMBER"]),
    ],
)
async def test_a_bad_inn_or_contract_number_is_refused_and_nothing_is_stored(
    *, app_client: httpx.AsyncClient, runtime: Runtime, customer: Customer, inn: str, number: str, codes: list[str]
) -> None:
    token = await token_for(runtime, customer)

    payload = payload_of(await request_access(app_client, token, inn=inn, number=number))

    assert [e["code"] for e in payload["errors"]] == codes
    assert payload["contractAccessRequest"] is None
    assert await nothing_stored(runtime)


async def test_a_file_over_10_mb_is_refused_and_nothing_is_stored(
    app_client: httpx.AsyncClient, runtime: Runtime, customer: Customer, contract: Contract
) -> None:
    token = await token_for(runtime, customer)
    too_large = pdf_document() + b"\0" * (10 * 1024 * 1024)

    payload = payload_of(
        await request_access(app_client, token, inn=contract.inn, number=contract.number, content=too_large)
    )

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("FILE_TOO_LARGE", ["input", "application"])]
    assert await nothing_stored(runtime)


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"I am not a PDF, whatever my name says", "zayavlenie.pdf"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\0" * 100, "zayavlenie.docx"),
        (b"", "empty.pdf"),
    ],
)
async def test_a_file_of_another_type_is_refused_whatever_its_name(
    *, app_client: httpx.AsyncClient, runtime: Runtime, customer: Customer, contract: Contract, content: bytes,
    filename: str,
) -> None:  # fmt: skip
    token = await token_for(runtime, customer)

    response = await request_access(
        app_client, token, inn=contract.inn, number=contract.number, content=content, filename=filename
    )

    assert [e["code"] for e in payload_of(response)["errors"]] == ["UNSUPPORTED_FILE_TYPE"]
    assert await nothing_stored(runtime)


async def test_a_detached_signature_is_accepted_as_the_application(
    app_client: httpx.AsyncClient, runtime: Runtime, customer: Customer, contract: Contract
) -> None:
    token = await token_for(runtime, customer)
    signature = b"\x30\x80" + bytes.fromhex("06092a864886f70d010702") + b"\xa0\x80" + b"\x01" * 200

    response = await request_access(
        app_client, token, inn=contract.inn, number=contract.number, content=signature, filename="zayavlenie.pdf.sig"
    )

    application = payload_of(response)["contractAccessRequest"]["application"]
    assert application["contentType"] == "application/pkcs7-signature"
    assert application["filename"] == "zayavlenie.pdf.sig"


async def test_an_upload_without_the_preflight_header_is_refused_as_a_possible_csrf(
    app_client: httpx.AsyncClient, runtime: Runtime, customer: Customer, contract: Contract
) -> None:
    token = await token_for(runtime, customer)

    response = await request_access(app_client, token, inn=contract.inn, number=contract.number, preflight=False)

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_PREFLIGHT_REQUIRED"
    assert await nothing_stored(runtime)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_other_simple_content_types_are_refused_too(
    app_client: httpx.AsyncClient, runtime: Runtime, customer: Customer, content_type: str
) -> None:
    token = await token_for(runtime, customer)

    response = await app_client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_PREFLIGHT_REQUIRED"


async def test_the_operators_queue_is_oldest_first_filtered_and_paged(
    *, app_client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime, customer: Customer, operator: Customer,
    contract: Contract,
) -> None:  # fmt: skip
    # given: three requests a minute apart, the second one already under review
    token = await token_for(runtime, customer)
    ids = []
    for _ in range(3):
        sent = payload_of(await request_access(app_client, token, inn=contract.inn, number=contract.number))
        ids.append(sent["contractAccessRequest"]["id"])
        runtime.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    operator_gql = gql.as_token(await token_for(runtime, operator))
    await operator_gql.execute(START_REVIEW, {"input": {"requestId": ids[1]}})

    # when
    first_page = await operator_gql.execute(QUEUE, {"first": 2})
    cursor = first_page["contractAccessRequests"]["pageInfo"]["endCursor"]
    second_page = await operator_gql.execute(QUEUE, {"first": 2, "after": cursor})
    submitted = await operator_gql.execute(QUEUE, {"status": "SUBMITTED"})

    # then
    def node_ids(data: dict[str, Any]) -> list[str]:
        return [edge["node"]["id"] for edge in data["contractAccessRequests"]["edges"]]

    assert node_ids(first_page) == ids[:2]
    assert first_page["contractAccessRequests"]["pageInfo"]["hasNextPage"] is True
    assert node_ids(second_page) == ids[2:]
    assert second_page["contractAccessRequests"]["pageInfo"]["hasNextPage"] is False
    assert node_ids(submitted) == [ids[0], ids[2]]


async def test_the_application_template_is_a_real_pdf_with_its_title(
    app_client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    url = (await gql.execute("{ contractAccessApplicationTemplateUrl }"))["contractAccessApplicationTemplateUrl"]

    response = await app_client.get(url.removeprefix("http://127.0.0.1:8000"))

    assert url == "http://127.0.0.1:8000/templates/contract-access-application.pdf"
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Заявление на предоставление доступа в Личный кабинет" in " ".join(text.split())

"""Signed download links: for the viewer they were issued to (with that viewer's token), for five minutes."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from models import Customer
from models.enums import Role
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.objects import global_id, pdf_document, post_upload, token_for

REQUEST = """
mutation($input: RequestContractAccessInput!) {
  requestContractAccess(input: $input) { contractAccessRequest { id application { url } } errors { code } }
}"""

APPLICATION_URL = """
query($id: ID!) { node(id: $id) { ... on ContractAccessRequest { application { url } } } }
"""

APPLICATION = pdf_document()


@pytest.fixture
async def owner(runtime: Runtime) -> Customer:
    return await create_customer(runtime.db, now=runtime.clock.now())


@pytest.fixture
async def owner_token(runtime: Runtime, owner: Customer) -> str:
    return await token_for(runtime, owner)


@pytest.fixture
async def request_id(app_client: httpx.AsyncClient, owner_token: str) -> str:
    response = await post_upload(
        app_client,
        query=REQUEST,
        variables={"input": {"inn": "7802312751", "contractNumber": "15-000123", "application": None}},
        file_path="variables.input.application",
        content=APPLICATION,
        token=owner_token,
    )
    payload = response.json()["data"]["requestContractAccess"]
    assert payload["errors"] == []
    request_id: str = payload["contractAccessRequest"]["id"]
    return request_id


async def link_for(gql: GraphQLClient, token: str, request_id: str) -> str:
    data = await gql.as_token(token).execute(APPLICATION_URL, {"id": request_id})
    url: str = data["node"]["application"]["url"]
    return url


async def download(app_client: httpx.AsyncClient, url: str, token: str | None) -> httpx.Response:
    parts = urlsplit(url)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await app_client.get(f"{parts.path}?{parts.query}", headers=headers)


async def test_the_owner_downloads_their_file_with_the_link(
    app_client: httpx.AsyncClient, gql: GraphQLClient, owner_token: str, request_id: str
) -> None:
    url = await link_for(gql, owner_token, request_id)

    response = await download(app_client, url, owner_token)

    assert url.startswith("http://127.0.0.1:8000/files/")
    assert response.status_code == 200
    assert response.content == APPLICATION
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment;")


async def test_staff_download_with_a_link_issued_to_them(
    app_client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime, request_id: str
) -> None:
    operator = await create_customer(runtime.db, now=runtime.clock.now(), role=Role.OPERATOR)
    token = await token_for(runtime, operator)

    response = await download(app_client, await link_for(gql, token, request_id), token)

    assert response.status_code == 200
    assert response.content == APPLICATION


async def test_analysts_get_no_link_to_files_with_personal_data(
    gql: GraphQLClient, runtime: Runtime, request_id: str
) -> None:
    analyst = await create_customer(runtime.db, now=runtime.clock.now(), role=Role.ANALYST)

    data = await gql.as_token(await token_for(runtime, analyst)).execute(APPLICATION_URL, {"id": request_id})

    assert data == {"node": {"application": {"url": None}}}


async def test_another_customer_cannot_use_the_owners_link(
    app_client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime, owner_token: str, request_id: str
) -> None:
    # given: the owner's link has leaked to another customer
    url = await link_for(gql, owner_token, request_id)
    stranger = await create_customer(runtime.db, now=runtime.clock.now())
    stranger_token = await token_for(runtime, stranger)
    query = parse_qs(urlsplit(url).query)
    rebound = (
        url.split("?")[0]
        + "?"
        + urlencode({"expires": query["expires"][0], "viewer": stranger.id, "signature": query["signature"][0]})
    )

    # when
    as_is = await download(app_client, url, stranger_token)
    with_their_id = await download(app_client, rebound, stranger_token)
    anonymous = await download(app_client, url, None)

    # then
    assert (as_is.status_code, with_their_id.status_code) == (404, 404)
    assert anonymous.status_code == 401


async def test_a_link_is_refused_after_five_minutes(
    *, app_client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, owner: Customer,
    owner_token: str, request_id: str,
) -> None:  # fmt: skip
    url = await link_for(gql, owner_token, request_id)
    clock.advance(timedelta(minutes=5))

    response = await download(app_client, url, await token_for(runtime, owner))

    assert response.status_code == 410


async def test_a_customer_cannot_get_a_link_to_another_customers_file(
    gql: GraphQLClient, runtime: Runtime, request_id: str
) -> None:
    stranger = await create_customer(runtime.db, now=runtime.clock.now())

    data = await gql.as_token(await token_for(runtime, stranger)).execute(APPLICATION_URL, {"id": request_id})
    missing = await gql.as_token(await token_for(runtime, stranger)).execute(
        APPLICATION_URL, {"id": global_id("ContractAccessRequest", 999_999_999)}
    )

    assert data == missing == {"node": None}

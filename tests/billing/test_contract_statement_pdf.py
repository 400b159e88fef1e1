"""A contract's delivery-point statement downloads as a payment document billing the organisation."""

from __future__ import annotations

import httpx
import pytest

from models.enums import Role
from services.platform.runtime import Runtime
from tests.billing.test_contract_tabs import billed_contract
from tests.billing.test_receipt_pdf import download, link_for, text_of
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import global_id


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.OPERATOR])
async def test_the_owner_and_staff_download_a_delivery_points_statement(
    app_client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime, role: Role
) -> None:
    owner = await create_customer(runtime.db, now=runtime.clock.now())
    contract, statement_ids = await billed_contract(runtime, owner)
    viewer = owner if role is Role.CUSTOMER else await create_customer(runtime.db, now=runtime.clock.now(), role=role)
    token = await token_for(runtime, viewer)

    url = await link_for(gql, token, statement_ids[1])  # Склад, November
    assert url is not None
    response = await download(app_client, url, token)

    assert response.status_code == 200
    number = contract.contract.number
    assert f'filename="kvitanciya_{number}_2026-11.pdf"' in response.headers["content-disposition"]
    text = text_of(response.content)
    assert f"Договор: {number}" in text
    assert f"Плательщик: {contract.contract.holder_name}, ИНН {contract.contract.inn}" in text
    assert "Склад: г. Архангельск, ул. Тестовая, д. 5" in text
    assert "Лицевой счёт" not in text
    assert "1 500,00" in text  # the closing balance, 150 000 kopecks


async def test_another_customer_gets_no_link_to_a_contracts_statement(gql: GraphQLClient, runtime: Runtime) -> None:
    owner = await create_customer(runtime.db, now=runtime.clock.now())
    stranger = await create_customer(runtime.db, now=runtime.clock.now())
    _, statement_ids = await billed_contract(runtime, owner)

    data = await gql.as_token(await token_for(runtime, stranger)).execute(
        "query ($id: ID!) { node(id: $id) { ... on Statement { pdfUrl } } }",
        {"id": global_id("Statement", statement_ids[1])},
    )

    assert data == {"node": None}

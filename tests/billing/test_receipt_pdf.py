"""The payment document (платёжный документ) of a statement: its GOST QR code, its PDF and the signed download link."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pypdf
import pytest

from models import Charge, Customer, Payment, PersonalAccount, Statement
from models.enums import ChargeBasis, ChargeKind, ObjectKind, PaymentMethod, PaymentStatus, Role, TariffCategory
from models.enums import TariffZone as Zone
from services.billing.payee import ENERGOSBYT, Payee
from services.billing.payment_qr import gost_qr_payload
from services.billing.receipt_pdf import render_statement_pdf
from services.files.signing import LinkKind, signed_url
from services.platform.clock import LOCAL_TZ, FrozenClock
from services.platform.runtime import Runtime
from tests.support.cabinet import CabinetAccount, create_cabinet_account, global_id, token_for
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient

PDF_URL = """
query ($id: ID!) { node(id: $id) { ... on Statement { pdfAvailable pdfUrl } } }
"""

PAYEE = Payee(
    name="ООО «ТГК-2 Энергосбыт»",
    inn="2901073840",
    kpp="290101001",
    account="40702810604000012345",
    bank_name="Архангельское отделение № 8637 ПАО Сбербанк",
    bic="041117601",
    correspondent_account="30101810100000000601",
)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_the_qr_payload_carries_the_payee_the_account_and_the_amount_due() -> None:
    payload = gost_qr_payload(payee=PAYEE, account_number="290123456", period=date(2026, 1, 1), closing_balance=122506)

    assert payload == (
        "ST00012|Name=ООО «ТГК-2 Энергосбыт»|PersonalAcc=40702810604000012345"
        "|BankName=Архангельское отделение № 8637 ПАО Сбербанк|BIC=041117601|CorrespAcc=30101810100000000601"
        "|PayeeINN=2901073840|KPP=290101001|PersAcc=290123456|Sum=122506"
        "|Purpose=Оплата электроэнергии за 01.2026, л/с 290123456|PaymPeriod=012026"
    )


@pytest.mark.parametrize("closing_balance", [0, -5000])
def test_the_qr_payload_asks_for_nothing_when_nothing_is_owed(closing_balance: int) -> None:
    payload = gost_qr_payload(
        payee=PAYEE, account_number="290123456", period=date(2025, 11, 1), closing_balance=closing_balance
    )

    assert "|Sum=0|" in payload
    assert payload.endswith("|PaymPeriod=112025")


def test_a_separator_inside_a_value_cannot_split_a_field() -> None:
    payee = replace(PAYEE, name="ООО «Энергосбыт|Север»")

    payload = gost_qr_payload(payee=payee, account_number="290123456", period=date(2026, 1, 1), closing_balance=1)

    assert payload.split("|")[1] == "Name=ООО «Энергосбыт Север»"
    assert len(payload.split("|")) == 12


def test_the_pdf_shows_the_account_the_period_the_lines_and_the_amount_due() -> None:
    # given: January 2026 with two zones, a recalculation of December, a payment and a penalty
    statement = Statement(
        id=7, account_id=1, period=date(2026, 1, 1), opening_balance=100_000, charged=115_530, recalculated=-1406,
        paid=100_000, penalty=50, closing_balance=114_174, issued_on=date(2026, 2, 5), due_on=date(2026, 2, 15),
    )  # fmt: skip
    account = PersonalAccount(
        id=1, number="290123456", address="пр-кт Обводного Канала, д. 32, кв. 18", locality="Архангельск",
        object_kind=ObjectKind.FLAT, tariff_category=TariffCategory.URBAN_GAS_STOVE, opened_on=date(2020, 1, 1),
    )  # fmt: skip
    lines = [
        (Zone.DAY, ChargeKind.CONSUMPTION, 150, 703, None),
        (Zone.NIGHT, ChargeKind.CONSUMPTION, 30, 339, None),
        (Zone.DAY, ChargeKind.RECALCULATION, -2, 703, date(2025, 12, 1)),
    ]
    charges = [
        Charge(
            account_id=1,
            statement_id=7,
            period=statement.period,
            zone=zone,
            kind=kind,
            basis=ChargeBasis.READINGS,
            volume_kwh=kwh,
            rate_kopecks=rate,
            amount=kwh * rate,
            recalculated_period=corrected,
        )
        for zone, kind, kwh, rate, corrected in lines
    ]
    paid_at = datetime(2026, 1, 10, 11, tzinfo=LOCAL_TZ)
    payment = Payment(
        account_id=1, amount=100_000, electricity=100_000, penalty=0, state_duty=0, method=PaymentMethod.SBP,
        status=PaymentStatus.SUCCEEDED, created_at=paid_at, paid_at=paid_at,
    )  # fmt: skip

    # when
    pdf = render_statement_pdf(
        statement=statement, account=account, charges=charges, payments=[payment], payee=ENERGOSBYT
    )

    # then
    text = text_of(pdf)
    assert pdf.startswith(b"%PDF-")
    assert "Лицевой счёт: 290123456" in text
    assert "за январь 2026 г." in text
    assert "Расчётный период: 01.2026" in text
    assert "День 150 7,03 1 054,50" in text
    assert "Ночь 30 3,39 101,70" in text
    assert "12.2025, день -2 7,03 -14,06" in text
    assert "10.01.2026 1 000,00" in text
    assert "Итого к оплате, руб. (до 15.02.2026) 1 141,74" in text
    assert f"ИНН {ENERGOSBYT.inn}" in text
    assert f"БИК {ENERGOSBYT.bic}" in text
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images) == 1  # the payment QR code


@pytest.fixture
async def owner(runtime: Runtime) -> Customer:
    return await create_customer(runtime.db, now=runtime.clock.now())


@pytest.fixture
async def cabinet(runtime: Runtime, owner: Customer) -> CabinetAccount:
    return await create_cabinet_account(runtime.db, now=runtime.clock.now(), owner=owner, months=4)


async def link_for(gql: GraphQLClient, token: str, statement_id: int) -> str | None:
    data = await gql.as_token(token).execute(PDF_URL, {"id": global_id("Statement", statement_id)})
    url: str | None = data["node"]["pdfUrl"]
    return url


async def download(app_client: httpx.AsyncClient, url: str, token: str | None) -> httpx.Response:
    parts = urlsplit(url)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await app_client.get(f"{parts.path}?{parts.query}", headers=headers)


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.OPERATOR])
async def test_the_owner_and_staff_download_the_payment_document(
    *, app_client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime, owner: Customer, cabinet: CabinetAccount,
    role: Role,
) -> None:  # fmt: skip
    # given: the month with a recalculation
    viewer = owner if role is Role.CUSTOMER else await create_customer(runtime.db, now=runtime.clock.now(), role=role)
    token = await token_for(runtime, viewer)
    statement_id, month = cabinet.statement_ids[3], cabinet.months[3]

    # when
    url = await link_for(gql, token, statement_id)
    assert url is not None
    response = await download(app_client, url, token)

    # then
    assert url.startswith(f"http://127.0.0.1:8000/statements/{statement_id}.pdf?")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="kvitanciya_{cabinet.account.number}_{month:%Y-%m}.pdf"; '
        f"filename*=UTF-8''kvitanciya_{cabinet.account.number}_{month:%Y-%m}.pdf"
    )
    text = text_of(response.content)
    assert f"Лицевой счёт: {cabinet.account.number}" in text
    assert f"Расчётный период: {month:%m.%Y}" in text
    assert "Перерасчёты" in text


async def test_analysts_get_no_link_to_the_payment_document(
    gql: GraphQLClient, runtime: Runtime, cabinet: CabinetAccount
) -> None:
    analyst = await create_customer(runtime.db, now=runtime.clock.now(), role=Role.ANALYST)

    data = await gql.as_token(await token_for(runtime, analyst)).execute(
        PDF_URL, {"id": global_id("Statement", cabinet.statement_ids[0])}
    )

    assert data == {"node": {"pdfAvailable": True, "pdfUrl": None}}


async def test_another_customer_gets_no_link_and_cannot_use_the_owners(
    app_client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime, owner: Customer, cabinet: CabinetAccount
) -> None:
    # given: the owner's link has leaked to another customer
    url = await link_for(gql, await token_for(runtime, owner), cabinet.statement_ids[0])
    assert url is not None
    stranger = await create_customer(runtime.db, now=runtime.clock.now())
    stranger_token = await token_for(runtime, stranger)
    query = parse_qs(urlsplit(url).query)
    rebound = (
        url.split("?")[0]
        + "?"
        + urlencode({"expires": query["expires"][0], "viewer": stranger.id, "signature": query["signature"][0]})
    )

    # when
    own_link = await gql.as_token(stranger_token).execute(
        PDF_URL, {"id": global_id("Statement", cabinet.statement_ids[0])}
    )
    as_is = await download(app_client, url, stranger_token)
    with_their_id = await download(app_client, rebound, stranger_token)
    anonymous = await download(app_client, url, None)

    # then
    assert own_link == {"node": None}
    assert (as_is.status_code, with_their_id.status_code) == (404, 404)
    assert anonymous.status_code == 401


async def test_a_link_is_refused_after_five_minutes(
    *, app_client: httpx.AsyncClient, gql: GraphQLClient, runtime: Runtime, clock: FrozenClock, owner: Customer,
    cabinet: CabinetAccount,
) -> None:  # fmt: skip
    url = await link_for(gql, await token_for(runtime, owner), cabinet.statement_ids[0])
    assert url is not None
    clock.advance(timedelta(minutes=5))

    response = await download(app_client, url, await token_for(runtime, owner))

    assert response.status_code == 410


async def test_a_file_link_does_not_open_the_statement_with_the_same_id(
    app_client: httpx.AsyncClient, runtime: Runtime, owner: Customer, cabinet: CabinetAccount
) -> None:
    # given: a valid signature of a file download whose id happens to be the statement's
    assert owner.id is not None
    statement_id = cabinet.statement_ids[0]
    settings = runtime.settings
    file_url = signed_url(
        kind=LinkKind.FILE, secret=settings.secret_key, public_url=settings.public_url, object_id=statement_id,
        viewer_id=owner.id, now=runtime.clock.now(),
    )  # fmt: skip

    # when
    response = await download(
        app_client, file_url.replace(f"/files/{statement_id}?", f"/statements/{statement_id}.pdf?"), None
    )
    signed_in = await download(
        app_client,
        file_url.replace(f"/files/{statement_id}?", f"/statements/{statement_id}.pdf?"),
        await token_for(runtime, owner),
    )

    # then
    assert (response.status_code, signed_in.status_code) == (401, 404)


def test_the_address_names_the_locality_once() -> None:
    from services.billing.receipt_pdf import postal_address

    village = "Архангельская обл., Приморский р-н, д. Лисестрово, ул. Лесная, д. 7"
    assert postal_address(address=village, locality="Лисестрово") == village
    town = "г. Архангельск, пр-кт Троицкий, д. 1, кв. 1"
    assert postal_address(address=town, locality="Архангельск") == town
    assert postal_address(address="пр-кт Обводного Канала, д. 32, кв. 18", locality="Архангельск") == (
        "Архангельск, пр-кт Обводного Канала, д. 32, кв. 18"
    )
    # A locality that is only part of a word of the address is not there yet.
    assert postal_address(address="ул. Новодвинская, д. 5", locality="Новодвинск") == (
        "Новодвинск, ул. Новодвинская, д. 5"
    )

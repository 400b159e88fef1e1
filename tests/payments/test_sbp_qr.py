"""The SBP QR code of a payment: inline SVG and a PNG behind a public signed link, only while it can be paid."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import segno
from PIL import Image

from models import Payment
from models.enums import PaymentMethod, PaymentStatus
from services.payments.qr import PNG_SCALE, QUIET_ZONE, qr_png_url, qr_svg
from services.payments.start import start_payment
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.payments import create_indebted_account


async def sbp_payment(runtime: Runtime, method: PaymentMethod = PaymentMethod.SBP) -> Payment:
    customer = await create_customer(runtime.db, now=runtime.clock.now())
    account = await create_indebted_account(runtime, owner=customer)
    assert customer.id is not None
    assert account.id is not None
    return await start_payment(
        runtime,
        customer_id=customer.id,
        account_id=account.id,
        electricity=50_000,
        penalty=0,
        state_duty=0,
        method=method,
        idempotency_key="qr",
    )


def modules(png: bytes) -> list[list[bool]]:
    """The dark modules of a QR image drawn at PNG_SCALE with a QUIET_ZONE border, read at each module's centre."""
    image = Image.open(io.BytesIO(png)).convert("L")
    size = image.width // PNG_SCALE - 2 * QUIET_ZONE
    return [
        [
            image.getpixel(
                ((QUIET_ZONE + x) * PNG_SCALE + PNG_SCALE // 2, (QUIET_ZONE + y) * PNG_SCALE + PNG_SCALE // 2)
            )
            == 0
            for x in range(size)
        ]
        for y in range(size)
    ]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_the_png_link_serves_the_code_of_the_nspk_link(app_client: httpx.AsyncClient, runtime: Runtime) -> None:
    payment = await sbp_payment(runtime)
    assert payment.confirmation_url is not None

    response = await app_client.get(path_of(qr_png_url(payment, runtime.settings)))

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    expected = segno.make(payment.confirmation_url, error="m", micro=False)
    assert modules(response.content) == [[bool(bit) for bit in row] for row in expected.matrix]


async def test_the_inline_svg_draws_the_same_code(runtime: Runtime) -> None:
    payment = await sbp_payment(runtime)
    assert payment.confirmation_url is not None

    svg = qr_svg(payment.confirmation_url)

    assert svg.startswith("<svg ")
    assert svg.endswith("</svg>")
    assert "<?xml" not in svg


async def test_a_tampered_link_is_404_and_an_expired_one_410(
    app_client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    payment = await sbp_payment(runtime)
    url = path_of(qr_png_url(payment, runtime.settings))
    query = parse_qs(urlsplit(url).query)
    other_id = url.replace(f"/payments/{payment.id}/", f"/payments/{(payment.id or 0) + 1}/")
    longer = url.replace(f"expires={query['expires'][0]}", f"expires={int(query['expires'][0]) + 3600}")

    tampered = [await app_client.get(candidate) for candidate in (other_id, longer, url.split("?")[0])]
    clock.advance(timedelta(minutes=runtime.settings.payment_pending_timeout_minutes))
    expired = await app_client.get(url)

    assert [response.status_code for response in tampered] == [404, 404, 404]
    assert expired.status_code == 410


async def test_no_image_for_a_card_payment_or_one_no_longer_pending(
    app_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    card = await sbp_payment(runtime, PaymentMethod.CARD)
    paid = await sbp_payment(runtime)
    async with runtime.db.session() as session:
        row = await session.get(Payment, paid.id)
        assert row is not None
        row.status = PaymentStatus.SUCCEEDED
        session.add(row)
        await session.commit()

    answers = [await app_client.get(path_of(qr_png_url(p, runtime.settings))) for p in (card, paid)]

    assert [response.status_code for response in answers] == [404, 404]

"""A local ЮKassa: the parts of API v3 the adapter uses, speaking its documented protocol over real HTTP.

- `POST /v3/payments` and `GET /v3/payments/{id}` with HTTP Basic auth (shop id : secret key; 401
  `invalid_credentials` otherwise);
- `Idempotence-Key` required on POST (400 `invalid_request` without it); the same key with the same body answers
  the payment created the first time, with another body 400 (the key was already used);
- the request body is checked as ЮKassa checks it (amount as a string with two decimals in RUB, the payment method,
  the confirmation type for it, the 54-ФЗ receipt with a customer contact and items adding up to the amount),
  answering 400 `invalid_request` with the offending `parameter`;
- answers are the documented payment object: SBP `confirmation: {type: qr, confirmation_data}`, bank card
  `confirmation: {type: redirect, confirmation_url, return_url}`.
The test moves a payment on (`succeed`, `cancel`) as the payer and ЮKassa would, and gets the notification body
ЮKassa would POST (`{"type": "notification", "event": …, "object": <payment>}`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import re
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.platform.runtime import Runtime

SHOP_ID = "506751"
SECRET_KEY = "test_SecretKey_for_the_local_yookassa"
AMOUNT = re.compile(r"\d+\.\d{2}")
VAT_CODES = frozenset(range(1, 13))
SUBJECTS = frozenset({"commodity", "excise", "job", "service", "payment", "another", "composite"})
MODES = frozenset({"full_prepayment", "partial_prepayment", "advance", "full_payment", "partial_payment", "credit"})


def _error(status: int, code: str, description: str, parameter: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "error", "id": str(uuid.uuid4()), "code": code, "description": description}
    if parameter is not None:
        body["parameter"] = parameter
    return JSONResponse(body, status_code=status)


def _kopecks(amount: Any, where: str) -> int | str:
    """The amount in kopecks, or the name of the bad parameter."""
    if not isinstance(amount, dict) or amount.get("currency") != "RUB":
        return f"{where}.currency"
    value = amount.get("value")
    if not isinstance(value, str) or not AMOUNT.fullmatch(value):
        return f"{where}.value"
    whole, cents = value.split(".")
    return int(whole) * 100 + int(cents)


def body_problem(body: Any) -> str | None:
    """The first parameter ЮKassa would refuse, or None."""
    if not isinstance(body, dict):
        return "body"
    total = _kopecks(body.get("amount"), "amount")
    if isinstance(total, str):
        return total
    if total < 100:
        return "amount.value"  # at least 1 ₽
    method = (body.get("payment_method_data") or {}).get("type")
    if method not in ("sbp", "bank_card"):
        return "payment_method_data.type"
    confirmation = body.get("confirmation") or {}
    if method == "sbp" and confirmation.get("type") != "qr":
        return "confirmation.type"
    if method == "bank_card" and (confirmation.get("type") != "redirect" or not confirmation.get("return_url")):
        return "confirmation.return_url"
    if body.get("capture") is not True:
        return "capture"
    if not isinstance(body.get("description"), str) or len(body["description"]) > 128:
        return "description"
    receipt = body.get("receipt")
    if not isinstance(receipt, dict):
        return "receipt"
    customer = receipt.get("customer") or {}
    if not (customer.get("email") or (isinstance(customer.get("phone"), str) and customer["phone"].isdigit())):
        return "receipt.customer"
    items = receipt.get("items")
    if not isinstance(items, list) or not items:
        return "receipt.items"
    items_total = 0
    for index, item in enumerate(items):
        where = f"receipt.items[{index}]"
        if not isinstance(item.get("description"), str) or not 0 < len(item["description"]) <= 128:
            return f"{where}.description"
        if not isinstance(item.get("quantity"), str | int | float) or float(item["quantity"]) <= 0:
            return f"{where}.quantity"
        amount = _kopecks(item.get("amount"), f"{where}.amount")
        if isinstance(amount, str):
            return amount
        items_total += amount
        if item.get("vat_code") not in VAT_CODES:
            return f"{where}.vat_code"
        if item.get("payment_subject") not in SUBJECTS:
            return f"{where}.payment_subject"
        if item.get("payment_mode") not in MODES:
            return f"{where}.payment_mode"
    if items_total != total:
        return "receipt.items"  # the items must add up to the payment
    return None


@dataclass
class LocalYooKassa:
    url: str = ""
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, tuple[bytes, dict[str, Any]]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)  # every POST body that created a payment
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every authenticated call
    down: bool = False  # answer 503 to everything (ЮKassa unavailable)

    def reset(self) -> None:
        self.payments.clear()
        self.keys.clear()
        self.requests.clear()
        self.calls.clear()
        self.down = False

    def _authenticated(self, request: Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{SHOP_ID}:{SECRET_KEY}".encode()).decode()
        return request.headers.get("authorization") == expected

    async def create(self, request: Request) -> JSONResponse:
        if self.down:
            return _error(503, "internal_server_error", "Service unavailable")
        if not self._authenticated(request):
            return _error(401, "invalid_credentials", "Login or password is incorrect")
        key = request.headers.get("idempotence-key")
        if not key or len(key) > 64:
            return _error(400, "invalid_request", "Idempotence-Key header is missing or too long", "Idempotence-Key")
        raw = await request.body()
        body = orjson.loads(raw)
        canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        if key in self.keys:
            earlier_body, earlier = self.keys[key]
            if earlier_body != canonical:
                return _error(400, "invalid_request", "Idempotence key duplicated", "Idempotence-Key")
            return JSONResponse(earlier)
        problem = body_problem(body)
        if problem is not None:
            return _error(400, "invalid_request", f"Invalid parameter {problem}", problem)
        self.calls.append(("POST", "/v3/payments"))
        payment_id = str(uuid.uuid4())
        payment: dict[str, Any] = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": body["amount"],
            "description": body["description"],
            "recipient": {"account_id": SHOP_ID, "gateway_id": "2179531"},
            "created_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "test": True,
            "refundable": False,
            "metadata": body.get("metadata", {}),
            "payment_method": {"type": body["payment_method_data"]["type"], "id": payment_id, "saved": False},
        }
        if body["payment_method_data"]["type"] == "sbp":
            total = _kopecks(body["amount"], "amount")
            payment["confirmation"] = {
                "type": "qr",
                "confirmation_data": f"https://qr.nspk.ru/AD10{payment_id.replace('-', '')[:28].upper()}"
                f"?type=02&bank=100000000111&sum={total}&cur=RUB&crc=AB75",
            }
        else:
            payment["confirmation"] = {
                "type": "redirect",
                "return_url": body["confirmation"]["return_url"],
                "confirmation_url": f"https://yoomoney.ru/checkout/payments/v2/contract?orderId={payment_id}",
            }
        self.payments[payment_id] = payment
        self.keys[key] = (canonical, copy.deepcopy(payment))
        self.requests.append(body)
        return JSONResponse(payment)

    async def read(self, request: Request) -> JSONResponse:
        if self.down:
            return _error(503, "internal_server_error", "Service unavailable")
        if not self._authenticated(request):
            return _error(401, "invalid_credentials", "Login or password is incorrect")
        self.calls.append(("GET", request.url.path))
        payment = self.payments.get(request.path_params["payment_id"])
        if payment is None:
            return _error(404, "not_found", "Payment doesn't exist or access denied", "payment_id")
        return JSONResponse(payment)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v3/payments", self.create, methods=["POST"]),
                Route("/v3/payments/{payment_id}", self.read, methods=["GET"]),
            ]
        )

    # ------------------------------------------------ what the payer and ЮKassa do

    def succeed(self, payment_id: str, *, at: str = "2026-11-26T09:05:00.000Z") -> bytes:
        payment = self.payments[payment_id]
        payment.update(status="succeeded", paid=True, captured_at=at, income_amount=payment["amount"])
        payment.pop("confirmation", None)
        return self.notification("payment.succeeded", payment)

    def cancel(self, payment_id: str, *, reason: str = "expired_on_confirmation") -> bytes:
        payment = self.payments[payment_id]
        payment.update(status="canceled", cancellation_details={"party": "yoo_money", "reason": reason})
        payment.pop("confirmation", None)
        return self.notification("payment.canceled", payment)

    @staticmethod
    def notification(event: str, payment: dict[str, Any]) -> bytes:
        return orjson.dumps({"type": "notification", "event": event, "object": payment})


@contextlib.asynccontextmanager
async def serve_local_yookassa() -> AsyncIterator[LocalYooKassa]:
    fake = LocalYooKassa()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    fake.url = f"http://127.0.0.1:{port}/v3"
    server = uvicorn.Server(uvicorn.Config(fake.app(), log_config=None, access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    try:
        yield fake
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest_asyncio.fixture(scope="session")
async def local_yookassa() -> AsyncIterator[LocalYooKassa]:
    """The local ЮKassa, started once per test session on a free port (import this fixture into a conftest)."""
    async with serve_local_yookassa() as server:
        yield server


@pytest.fixture
def yookassa(local_yookassa: LocalYooKassa, runtime: Runtime) -> LocalYooKassa:
    """The local ЮKassa, emptied, and the runtime configured to pay through it."""
    local_yookassa.reset()
    runtime.settings = runtime.settings.model_copy(
        update={
            "payment_provider": "yookassa",
            "yookassa_shop_id": SHOP_ID,
            "yookassa_secret_key": SECRET_KEY,
            "yookassa_api_url": local_yookassa.url,
        }
    )
    return local_yookassa

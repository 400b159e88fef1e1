"""ЮKassa (API v3) as the payment provider.

- `POST /payments` with HTTP Basic auth (shop id : secret key) and an `Idempotence-Key`: a retry with the same key
  and body gets the same payment back, so a timeout never creates a second one.
- SBP: `payment_method_data.type=sbp` with `confirmation.type=qr`; the answer's `confirmation.confirmation_data` is
  the НСПК link, drawn as the QR code. Bank card: `bank_card` with `confirmation.type=redirect` and `return_url`; the
  answer's `confirmation.confirmation_url` is the card page.
- `capture=true`: one-stage payments (SBP cannot be held anyway), so a paid payment is `succeeded` at once.
- `receipt`: the 54-ФЗ data (services/payments/fiscal.py) for ЮKassa's cash register.
- `GET /payments/{id}`: the payment as ЮKassa knows it; notifications are believed only through it.
Amounts are strings in roubles with two decimals ("1842.50"); we convert from and to integer kopecks exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
import structlog

from models.enums import PaymentMethod, PaymentStatus
from services.payments.provider import (
    YOOKASSA_PROVIDER,
    PaymentOrder,
    ProviderPayment,
    ProviderState,
    ProviderUnavailable,
)
from services.platform.settings import Settings

log = structlog.get_logger("payments")

TIMEOUT_SECONDS = 15.0
PAYMENT_ID = re.compile(r"[0-9A-Za-z-]{1,100}")
STATUSES = {
    "pending": PaymentStatus.PENDING,
    "waiting_for_capture": PaymentStatus.PENDING,  # not used with capture=true; still not money received
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELLED,
}


def money(kopecks: int) -> dict[str, str]:
    return {"value": f"{kopecks // 100}.{kopecks % 100:02d}", "currency": "RUB"}


def kopecks(amount: Any) -> int | None:
    """{"value": "1842.50", "currency": "RUB"} → 184250; None for anything else."""
    if not isinstance(amount, dict) or amount.get("currency") != "RUB" or not isinstance(amount.get("value"), str):
        return None
    try:
        value = Decimal(amount["value"]) * 100
    except InvalidOperation:
        return None
    return int(value) if value == value.to_integral_value() and value >= 0 else None


def payment_body(order: PaymentOrder) -> dict[str, Any]:
    if order.method is PaymentMethod.SBP:
        method, confirmation = {"type": "sbp"}, {"type": "qr"}
    else:
        method, confirmation = {"type": "bank_card"}, {"type": "redirect", "return_url": order.return_url}
    customer = {"email": order.receipt_email} if order.receipt_email else {"phone": order.receipt_phone}
    return {
        "amount": money(order.amount),
        "capture": True,
        "payment_method_data": method,
        "confirmation": confirmation,
        "description": order.description[:128],
        "metadata": order.metadata,
        "receipt": {
            "customer": customer,
            "items": [
                {
                    "description": item.description[:128],
                    "quantity": f"{item.quantity}.00",
                    "amount": money(item.amount),
                    "vat_code": item.vat_code,
                    "payment_subject": item.payment_subject,
                    "payment_mode": item.payment_mode,
                }
                for item in order.items
            ],
        },
    }


def parse_state(data: Any) -> ProviderState | None:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return None
    status = STATUSES.get(data.get("status"))  # type: ignore[arg-type]
    amount = kopecks(data.get("amount"))
    if status is None or amount is None:
        return None
    paid_at = None
    if status is PaymentStatus.SUCCEEDED:
        moment = data.get("captured_at") or data.get("created_at")
        if isinstance(moment, str):
            try:
                paid_at = datetime.fromisoformat(moment.replace("Z", "+00:00"))
            except ValueError:
                return None
        if paid_at is None or paid_at.tzinfo is None:
            return None
    return ProviderState(provider_payment_id=data["id"], status=status, amount=amount, paid_at=paid_at)


@dataclass
class YooKassaProvider:
    api_url: str
    shop_id: str
    secret_key: str
    client: httpx.AsyncClient
    name: str = YOOKASSA_PROVIDER

    @classmethod
    def from_settings(cls, settings: Settings) -> YooKassaProvider:
        return cls(
            api_url=settings.yookassa_api_url.rstrip("/"),
            shop_id=settings.yookassa_shop_id or "",
            secret_key=settings.yookassa_secret_key or "",
            client=httpx.AsyncClient(timeout=TIMEOUT_SECONDS),
        )

    async def _call(self, method: str, path: str, *, json: Any = None, key: str | None = None) -> httpx.Response:
        headers = {"Idempotence-Key": key} if key is not None else {}
        try:
            return await self.client.request(
                method,
                f"{self.api_url}{path}",
                json=json,
                headers=headers,
                auth=httpx.BasicAuth(self.shop_id, self.secret_key),
            )
        except httpx.HTTPError as error:
            raise ProviderUnavailable(f"ЮKassa unreachable: {type(error).__name__}: {error}") from error

    async def create(self, order: PaymentOrder) -> ProviderPayment:
        response = await self._call("POST", "/payments", json=payment_body(order), key=order.idempotence_key)
        if not response.is_success:
            # 400/401/403 are our bug or our configuration; 429/5xx are ЮKassa's: either way nothing was created.
            log.error("yookassa refused a payment", status=response.status_code, body=response.text[:500])
            raise ProviderUnavailable(f"ЮKassa answered {response.status_code}")
        data = response.json()
        confirmation = data.get("confirmation") or {}
        link = confirmation.get("confirmation_data" if order.method is PaymentMethod.SBP else "confirmation_url")
        if (
            not (isinstance(data.get("id"), str) and isinstance(link, str))
            or kopecks(data.get("amount")) != order.amount
        ):
            log.error("yookassa answered an unexpected payment", body=response.text[:500])
            raise ProviderUnavailable("ЮKassa answered an unexpected payment")
        return ProviderPayment(provider_payment_id=data["id"], confirmation_url=link)

    async def fetch(self, provider_payment_id: str) -> ProviderState | None:
        if not PAYMENT_ID.fullmatch(provider_payment_id):
            return None  # not an id ЮKassa could have issued: never put it into a URL
        response = await self._call("GET", f"/payments/{provider_payment_id}")
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise ProviderUnavailable(f"ЮKassa answered {response.status_code}")
        state = parse_state(response.json())
        if state is None or state.provider_payment_id != provider_payment_id:
            raise ProviderUnavailable("ЮKassa answered an unexpected payment")
        return state

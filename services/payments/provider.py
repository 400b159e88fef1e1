"""Payment providers: who takes the money and where the customer goes to pay.

A provider is asked to create a payment before the payment is stored (`create`); it later reports the result, and
what it reports is believed only when read back from the provider itself (`fetch`; services/payments/notifications.py).
The development provider takes no money and has nothing to read back: its result comes by the signed callback
(services/payments/callback.py) and production refuses it (Settings.production_problems). ЮKassa (API v3) is the real
acquirer (services/payments/yookassa.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from models.enums import PaymentMethod, PaymentStatus
from services.errors import DomainError, ErrorCode
from services.platform.runtime import Runtime
from services.platform.settings import Settings

DEV_PROVIDER = "dev"
YOOKASSA_PROVIDER = "yookassa"


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered an error: nothing was created; the customer may try again."""


@dataclass(frozen=True, slots=True)
class ReceiptItem:
    """One line of the 54-ФЗ receipt (чек) the provider's online cash register prints for the payment."""

    description: str
    amount: int  # kopecks
    vat_code: int
    payment_subject: str
    payment_mode: str
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class PaymentOrder:
    """What the provider is asked to charge, and what it prints on the receipt."""

    amount: int  # kopecks
    method: PaymentMethod
    idempotence_key: str  # the same for retries of one payment: the provider creates it once
    description: str
    return_url: str  # where the card page sends the customer back
    receipt_email: str | None = None  # 54-ФЗ ст. 1.2 п. 5: where the electronic receipt goes (email or phone)
    receipt_phone: str | None = None
    items: tuple[ReceiptItem, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    provider_payment_id: str
    confirmation_url: str  # SBP: the НСПК link (also drawn as the QR code); CARD: the payment page


@dataclass(frozen=True, slots=True)
class ProviderState:
    """A payment as the provider itself reports it."""

    provider_payment_id: str
    status: PaymentStatus  # PENDING, SUCCEEDED or CANCELLED
    amount: int  # kopecks
    paid_at: datetime | None


class PaymentProvider(Protocol):
    @property
    def name(self) -> str: ...

    async def create(self, order: PaymentOrder) -> ProviderPayment: ...

    async def fetch(self, provider_payment_id: str) -> ProviderState | None:
        """The payment as the provider knows it; None when it knows no such payment (or cannot be asked)."""
        ...


@dataclass(frozen=True, slots=True)
class DevPaymentProvider:
    """Links shaped like the real ones (an НСПК SBP link, a card payment page); nothing is paid until a callback."""

    public_url: str
    name: str = DEV_PROVIDER

    async def create(self, order: PaymentOrder) -> ProviderPayment:
        payment_id = uuid.uuid5(uuid.NAMESPACE_URL, f"dev-payment:{order.idempotence_key}").hex
        if order.method is PaymentMethod.SBP:
            # type=02: a dynamic (one payment) SBP QR code; sum is in kopecks.
            url = f"https://qr.nspk.ru/{payment_id}?type=02&sum={order.amount}&cur=RUB"
        else:
            url = f"{self.public_url.rstrip('/')}/pay/dev/{payment_id}"
        return ProviderPayment(provider_payment_id=payment_id, confirmation_url=url)

    async def fetch(self, provider_payment_id: str) -> ProviderState | None:
        return None  # nothing to ask: its results come only by the signed callback


def payment_provider(settings: Settings) -> PaymentProvider:
    if settings.payment_provider == DEV_PROVIDER:
        return DevPaymentProvider(public_url=settings.public_url)
    if settings.payment_provider == YOOKASSA_PROVIDER:
        from services.payments.yookassa import YooKassaProvider

        return YooKassaProvider.from_settings(settings)
    raise DomainError.single(
        ErrorCode.INVALID_INPUT, "Оплата через личный кабинет временно недоступна. Оплатите по квитанции", "input"
    )


def runtime_provider(runtime: Runtime) -> PaymentProvider:
    """The process's provider, built once (ЮKassa keeps a pool of HTTP connections)."""
    provider = runtime.payment_provider
    if provider is None or provider.name != runtime.settings.payment_provider:
        provider = runtime.payment_provider = payment_provider(runtime.settings)
    return provider


def provider_named(runtime: Runtime, name: str) -> PaymentProvider | None:
    """The provider that created payments under `name`, when it is the one configured (else None)."""
    if name != runtime.settings.payment_provider:
        return None
    return runtime_provider(runtime)

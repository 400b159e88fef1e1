"""Payment providers: who takes the money and where the customer goes to pay.

A provider is asked for a payment page before the payment is stored; it later confirms the payment by a signed
callback (services/payments/callback.py). Only the development provider exists yet: it takes no money, and
production refuses it (Settings.production_problems).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from models.enums import PaymentMethod
from services.errors import DomainError, ErrorCode
from services.platform.settings import Settings

DEV_PROVIDER = "dev"


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    provider_payment_id: str
    confirmation_url: str  # SBP: the link a frontend also renders as the QR code; CARD: the payment page


class PaymentProvider(Protocol):
    @property
    def name(self) -> str: ...

    def create(self, *, amount: int, method: PaymentMethod) -> ProviderPayment: ...


@dataclass(frozen=True, slots=True)
class DevPaymentProvider:
    """Links shaped like the real ones (an НСПК SBP link, a card payment page); nothing is paid until a callback."""

    public_url: str
    name: str = DEV_PROVIDER

    def create(self, *, amount: int, method: PaymentMethod) -> ProviderPayment:
        payment_id = uuid.uuid4().hex
        if method is PaymentMethod.SBP:
            # type=02: a dynamic (one payment) SBP QR code; sum is in kopecks.
            url = f"https://qr.nspk.ru/{payment_id}?type=02&sum={amount}&cur=RUB"
        else:
            url = f"{self.public_url.rstrip('/')}/pay/dev/{payment_id}"
        return ProviderPayment(provider_payment_id=payment_id, confirmation_url=url)


def payment_provider(settings: Settings) -> PaymentProvider:
    if settings.payment_provider == DEV_PROVIDER:
        return DevPaymentProvider(public_url=settings.public_url)
    raise DomainError.single(
        ErrorCode.INVALID_INPUT, "Оплата через личный кабинет временно недоступна. Оплатите по квитанции", "input"
    )

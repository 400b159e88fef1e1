"""`payment.status_changed`: written with the status change a provider's callback made, addressed to the account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from models import Payment
from models.enums import PaymentStatus
from services.events.kinds import DomainEvent
from services.events.outbox import account_channel


@dataclass(frozen=True, slots=True)
class PaymentStatusChanged(DomainEvent):
    type: ClassVar[str] = "payment.status_changed"

    payment_id: int
    account_id: int
    old: PaymentStatus
    new: PaymentStatus
    at: datetime
    amount: int  # kopecks
    paid_at: datetime | None

    def channels(self) -> tuple[str, ...]:
        return (account_channel(self.account_id),)

    @classmethod
    def of(cls, payment: Payment, *, old: PaymentStatus, now: datetime) -> PaymentStatusChanged:
        """Call after setting the payment's new status."""
        assert payment.id is not None
        return cls(
            payment_id=payment.id,
            account_id=payment.account_id,
            old=old,
            new=payment.status,
            at=now,
            amount=payment.amount,
            paid_at=payment.paid_at,
        )

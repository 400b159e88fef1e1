"""Charges, statements (payment documents), payments, debts and the key-rate table."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_field, fk, id_field, json_field, money_field, timestamp_field
from models.enums import ChargeBasis, ChargeKind, PaymentMethod, PaymentStatus, TariffZone

# Households are billed per personal account, organisations per delivery point of their contract (ПП РФ № 442 п. 82
# and the contract bill each delivery point's metered volume): a money row belongs to exactly one of the two.
ONE_PAYER = "(account_id IS NULL) <> (delivery_point_id IS NULL)"


class Statement(SQLModel, table=True):
    """The payment document of one account (or one contract's delivery point) for one month. Amounts in kopecks.

    closing = opening + charged + recalculated + vat + penalty - paid (a positive balance is a debt). Households'
    tariffs include VAT (vat = 0); organisations' charges are net of VAT and `vat` adds it (НК РФ ст. 168 п. 1, 4).
    """

    __table_args__ = (
        sa.UniqueConstraint("account_id", "period"),
        sa.UniqueConstraint("delivery_point_id", "period"),
        sa.UniqueConstraint("external_id"),
        sa.CheckConstraint(ONE_PAYER, name="one_payer"),
    )

    id: int | None = id_field()
    account_id: int | None = fk("personal_account.id", nullable=True, index=False, ondelete="CASCADE")
    delivery_point_id: int | None = fk("delivery_point.id", nullable=True, index=False, ondelete="CASCADE")
    period: date
    opening_balance: int = money_field()
    charged: int = money_field()
    recalculated: int = money_field()
    # VAT of the period's charges and recalculations; 0 for households. Old rows and other writers get 0.
    vat: int = Field(default=0, sa_type=sa.BigInteger, sa_column_kwargs={"server_default": "0"})
    paid: int = money_field()
    penalty: int = money_field()
    closing_balance: int = money_field()
    issued_on: date
    due_on: date
    pdf_file_id: int | None = fk("stored_file.id", nullable=True, index=False)
    created_at: datetime = timestamp_field()
    # BILLING_MODE=external: "<sender>:<the sender's id>", so that a statement sent again is recognised.
    external_id: str | None = Field(default=None, max_length=200)


class Charge(SQLModel, table=True):
    """One line of a statement: volume x rate for a zone, or a recalculation of an earlier period."""

    __table_args__ = (
        sa.Index("ix_charge_account_period", "account_id", "period"),
        sa.Index("ix_charge_delivery_point_period", "delivery_point_id", "period"),
        sa.CheckConstraint(ONE_PAYER, name="one_payer"),
    )

    id: int | None = id_field()
    account_id: int | None = fk("personal_account.id", nullable=True, index=False, ondelete="CASCADE")
    delivery_point_id: int | None = fk("delivery_point.id", nullable=True, index=False, ondelete="CASCADE")
    statement_id: int | None = fk("statement.id", nullable=True, ondelete="CASCADE")
    period: date
    zone: TariffZone = enum_field(TariffZone)
    kind: ChargeKind = enum_field(ChargeKind, default=ChargeKind.CONSUMPTION)
    basis: ChargeBasis = enum_field(ChargeBasis, default=ChargeBasis.READINGS)
    volume_kwh: int = Field(sa_type=sa.BigInteger)
    rate_kopecks: int
    amount: int = money_field()
    recalculated_period: date | None = None  # for RECALCULATION: the period being corrected


class Payment(SQLModel, table=True):
    """A payment split into electricity, penalty and state duty, by the customer or from a bank."""

    __table_args__ = (
        sa.Index("ix_payment_account_created", "account_id", "created_at"),
        sa.UniqueConstraint("provider", "provider_payment_id"),
        sa.CheckConstraint("amount = electricity + penalty + state_duty", name="split"),
        sa.CheckConstraint("amount > 0", name="positive"),
        sa.Index("ix_payment_delivery_point_created", "delivery_point_id", "created_at"),
        sa.CheckConstraint(ONE_PAYER, name="one_payer"),
    )

    id: int | None = id_field()
    account_id: int | None = fk("personal_account.id", nullable=True, index=False, ondelete="CASCADE")
    delivery_point_id: int | None = fk("delivery_point.id", nullable=True, index=False, ondelete="CASCADE")
    customer_id: int | None = fk("customer.id", nullable=True, ondelete="SET NULL")
    amount: int = money_field(default=None)
    electricity: int = money_field()
    penalty: int = money_field()
    state_duty: int = money_field()
    method: PaymentMethod = enum_field(PaymentMethod)
    status: PaymentStatus = enum_field(PaymentStatus, default=PaymentStatus.PENDING)
    provider: str = Field(default="internal", max_length=32)
    provider_payment_id: str | None = Field(default=None, max_length=100)
    confirmation_url: str | None = Field(default=None, max_length=1000)  # SBP link or card payment page
    created_at: datetime = timestamp_field()
    paid_at: datetime | None = timestamp_field(nullable=True)
    idempotency_key: str | None = Field(default=None, max_length=64)
    # Started from a statement's pay link (e-receipt): the statement it pays, exactly its amount due.
    statement_id: int | None = fk("statement.id", nullable=True, ondelete="SET NULL")


class PaymentCallback(SQLModel, table=True):
    """A provider's signed callback, stored once: the same callback twice credits once."""

    __tablename__ = "payment_callback"
    __table_args__ = (sa.UniqueConstraint("provider", "callback_id"),)

    id: int | None = id_field()
    provider: str = Field(max_length=32)
    callback_id: str = Field(max_length=100)
    payment_id: int | None = fk("payment.id", nullable=True)
    payload: dict[str, Any] | None = json_field()
    received_at: datetime = timestamp_field()


class AccountDebt(SQLModel, table=True):
    """The current debt of an account split as the payment form splits it; kept by billing."""

    __tablename__ = "account_debt"

    account_id: int = Field(
        sa_column_args=[sa.ForeignKey("personal_account.id", ondelete="CASCADE")],
        sa_type=sa.BigInteger,
        primary_key=True,
    )
    electricity: int = money_field()
    penalty: int = money_field()
    state_duty: int = money_field()
    updated_at: datetime = timestamp_field()


class KeyRate(SQLModel, table=True):
    """The Bank of Russia key rate from a date, in basis points (21 % = 2100)."""

    __tablename__ = "key_rate"

    valid_from: date = Field(primary_key=True)
    rate_bp: int


class ConsumptionNorm(SQLModel, table=True):
    """Норматив потребления: kWh per resident per month, used when there are no readings."""

    __tablename__ = "consumption_norm"
    __table_args__ = (sa.UniqueConstraint("object_kind", "residents", "valid_from"),)

    id: int | None = id_field()
    object_kind: str = Field(max_length=32)
    residents: int  # 1..5, where 5 means "5 or more"
    kwh_per_resident: int
    valid_from: date


class BillingRun(SQLModel, table=True):
    """A period's close: started, and finished once every open account of the period has its statement."""

    __tablename__ = "billing_run"

    period: date = Field(primary_key=True)
    started_at: datetime = timestamp_field()
    finished_at: datetime | None = timestamp_field(nullable=True)
    statements: int = 0  # issued by the runs of this period, all attempts together

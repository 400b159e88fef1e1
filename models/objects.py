"""What a customer links to the portal: personal accounts, contracts and tech connections."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_field, fk, id_field, timestamp_field
from models.enums import (
    ContractAccessStatus,
    ContractHolderKind,
    ObjectKind,
    TariffCategory,
    TechConnectionStatus,
)


class UtilityProvider(SQLModel, table=True):
    """Исполнитель коммунальных услуг (a management company or HOA)."""

    __tablename__ = "utility_provider"

    id: int | None = id_field()
    name: str = Field(max_length=300)
    inn: str | None = Field(default=None, max_length=12)
    phone: str | None = Field(default=None, max_length=32)


class GridCompany(SQLModel, table=True):
    __tablename__ = "grid_company"

    id: int | None = id_field()
    name: str = Field(max_length=300)
    inn: str = Field(max_length=12, unique=True)


class PersonalAccount(SQLModel, table=True):
    """Лицевой счёт: a household's supply point, 9 digits."""

    __tablename__ = "personal_account"

    id: int | None = id_field()
    number: str = Field(max_length=9, unique=True)
    address: str = Field(max_length=400)
    locality: str = Field(max_length=120)
    object_kind: ObjectKind = enum_field(ObjectKind)
    tariff_category: TariffCategory = enum_field(TariffCategory)
    residents: int = 1
    benefit_recipients: int = 0
    area_m2: Decimal | None = Field(default=None, sa_type=sa.Numeric(8, 2))
    utility_provider_id: int | None = fk("utility_provider.id", nullable=True)
    in_apartment_building: bool = False
    opened_on: date
    closed_on: date | None = None
    created_at: datetime = timestamp_field()


class AccountLink(SQLModel, table=True):
    """A customer's link to a personal account; several customers may link one account (a family).

    The e-receipt setting lives here, not on the account: each family member chooses their own email.
    """

    __tablename__ = "account_link"
    __table_args__ = (sa.UniqueConstraint("customer_id", "account_id"),)

    id: int | None = id_field()
    customer_id: int = fk("customer.id", ondelete="CASCADE")
    account_id: int = fk("personal_account.id", ondelete="CASCADE")
    linked_at: datetime = timestamp_field()
    receipt_electronic: bool = False
    receipt_email: str | None = Field(default=None, max_length=254)


class ActivationCode(SQLModel, table=True):
    """The code printed above a receipt's QR code; valid 3 months from the receipt's issue. Stored hashed."""

    __tablename__ = "activation_code"

    id: int | None = id_field()
    account_id: int = fk("personal_account.id", ondelete="CASCADE")
    code_hash: str = Field(max_length=64)
    issued_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()


class ActivationAttempt(SQLModel, table=True):
    """Every linking attempt, for the 5-wrong-codes-an-hour lock and for audit."""

    __tablename__ = "activation_attempt"
    __table_args__ = (sa.Index("ix_activation_attempt_account_time", "account_id", "attempted_at"),)

    id: int | None = id_field()
    account_id: int | None = fk("personal_account.id", nullable=True, index=False, ondelete="CASCADE")
    customer_id: int = fk("customer.id", ondelete="CASCADE")
    number: str = Field(max_length=32)
    succeeded: bool
    attempted_at: datetime = timestamp_field()


class Contract(SQLModel, table=True):
    """Договор энергоснабжения of an organisation or ИП."""

    id: int | None = id_field()
    number: str = Field(max_length=32, unique=True)
    inn: str = Field(max_length=12, index=True)
    holder_name: str = Field(max_length=300)
    holder_kind: ContractHolderKind = enum_field(ContractHolderKind)
    signed_on: date
    terminated_on: date | None = None
    created_at: datetime = timestamp_field()


class ContractLink(SQLModel, table=True):
    __tablename__ = "contract_link"
    __table_args__ = (sa.UniqueConstraint("customer_id", "contract_id"),)

    id: int | None = id_field()
    customer_id: int = fk("customer.id", ondelete="CASCADE")
    contract_id: int = fk("contract.id", ondelete="CASCADE")
    linked_at: datetime = timestamp_field()
    # The e-receipt setting, as on an account's link: each representative of the organisation chooses their own.
    receipt_electronic: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    receipt_email: str | None = Field(default=None, max_length=254)


class DeliveryPoint(SQLModel, table=True):
    """Точка поставки of a contract: a building or premises with its own meters."""

    __tablename__ = "delivery_point"

    id: int | None = id_field()
    contract_id: int = fk("contract.id", ondelete="CASCADE")
    name: str = Field(max_length=300)
    address: str = Field(max_length=400)
    max_capacity_kw: Decimal | None = Field(default=None, sa_type=sa.Numeric(10, 2))


class ContractAccessRequest(SQLModel, table=True):
    """Заявка на доступ к договору: INN + number + the signed application, reviewed by an operator."""

    __tablename__ = "contract_access_request"
    __table_args__ = (sa.Index("ix_contract_access_request_status_created", "status", "created_at"),)

    id: int | None = id_field()
    customer_id: int = fk("customer.id", ondelete="CASCADE")
    inn: str = Field(max_length=12)
    contract_number: str = Field(max_length=32)
    application_file_id: int = fk("stored_file.id")
    status: ContractAccessStatus = enum_field(ContractAccessStatus, default=ContractAccessStatus.SUBMITTED)
    rejection_reason: str | None = Field(default=None, max_length=1000)
    contract_id: int | None = fk("contract.id", nullable=True)
    reviewed_by_id: int | None = fk("customer.id", nullable=True, index=False)
    reviewed_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field()


class TechConnection(SQLModel, table=True):
    """«Техприс»: an object a grid company connected that has no supply contract yet."""

    __tablename__ = "tech_connection"
    __table_args__ = (sa.UniqueConstraint("grid_company_id", "external_id"),)

    id: int | None = id_field()
    grid_company_id: int = fk("grid_company.id", index=False)
    external_id: str = Field(max_length=64)  # the grid company's own id: upserts are idempotent by it
    request_number: str = Field(max_length=64)
    applicant_phone: str = Field(max_length=16, index=True)
    customer_id: int | None = fk("customer.id", nullable=True, ondelete="SET NULL")
    address: str = Field(max_length=400)
    capacity_kw: Decimal = Field(sa_type=sa.Numeric(10, 2))
    status: TechConnectionStatus = enum_field(TechConnectionStatus)
    connected_on: date | None = None
    updated_at: datetime = timestamp_field()

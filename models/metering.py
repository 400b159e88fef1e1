"""Meters, tariffs, readings and what customers submit."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_field, fk, id_field, timestamp_field
from models.enums import (
    ReadingSource,
    ReadingStatus,
    SubmissionStatus,
    TariffCategory,
    TariffZone,
)


class Meter(SQLModel, table=True):
    """Прибор учёта: on a personal account or on a contract's delivery point."""

    __table_args__ = (
        sa.CheckConstraint("zone_count IN (1, 2, 3)", name="zone_count"),
        sa.CheckConstraint("digits BETWEEN 4 AND 9", name="digits"),
        sa.CheckConstraint("(account_id IS NULL) <> (delivery_point_id IS NULL)", name="one_owner"),
    )

    id: int | None = id_field()
    account_id: int | None = fk("personal_account.id", nullable=True, ondelete="CASCADE")
    delivery_point_id: int | None = fk("delivery_point.id", nullable=True, ondelete="CASCADE")
    serial: str = Field(max_length=32, index=True)
    model: str = Field(max_length=100)
    zone_count: int
    digits: int  # register capacity in whole digits: values 0 .. 10**digits - 1, then it wraps
    verification_due_on: date | None = None
    is_smart: bool = False
    installed_on: date
    removed_on: date | None = None


class Tariff(SQLModel, table=True):
    """A rate per kWh for a tariff group, zone scheme and zone, valid on [valid_from, valid_to)."""

    __table_args__ = (
        sa.UniqueConstraint("category", "zone_count", "zone", "valid_from"),
        sa.Index("ix_tariff_lookup", "category", "zone_count", "valid_from"),
    )

    id: int | None = id_field()
    category: TariffCategory = enum_field(TariffCategory)
    zone_count: int
    zone: TariffZone = enum_field(TariffZone)
    rate_kopecks: int  # per kWh
    valid_from: date
    valid_to: date | None = None  # exclusive; None: until further notice


class ReadingSubmission(SQLModel, table=True):
    """What a customer submitted for one meter: one value per zone, moving RECEIVED → PROCESSED / REJECTED."""

    __tablename__ = "reading_submission"
    __table_args__ = (
        sa.UniqueConstraint("customer_id", "idempotency_key"),
        sa.Index("ix_reading_submission_meter_time", "meter_id", "submitted_at"),
        sa.Index("ix_reading_submission_status_time", "status", "submitted_at"),
    )

    id: int | None = id_field()
    meter_id: int = fk("meter.id", index=False, ondelete="CASCADE")
    account_id: int | None = fk("personal_account.id", nullable=True, ondelete="CASCADE")
    customer_id: int = fk("customer.id", index=False, ondelete="CASCADE")
    idempotency_key: str = Field(max_length=64)
    status: SubmissionStatus = enum_field(SubmissionStatus, default=SubmissionStatus.RECEIVED)
    reason: str | None = Field(default=None, max_length=1000)
    period: date  # the billing period (first day of the month) the reading counts toward
    submitted_at: datetime = timestamp_field()
    status_changed_at: datetime = timestamp_field()
    reviewed_by_id: int | None = fk("customer.id", nullable=True, index=False)


class SubmittedValue(SQLModel, table=True):
    """One zone's value of a submission («Переданные» показания)."""

    __tablename__ = "submitted_value"
    __table_args__ = (sa.UniqueConstraint("submission_id", "zone"),)

    id: int | None = id_field()
    submission_id: int = fk("reading_submission.id", index=False, ondelete="CASCADE")
    zone: TariffZone = enum_field(TariffZone)
    value: int = Field(sa_type=sa.BigInteger)
    consumption: int = Field(sa_type=sa.BigInteger)  # kWh since the previous accepted value, wrap included


class Reading(SQLModel, table=True):
    """An accepted reading of one zone («Принятые» показания), from any source."""

    __table_args__ = (
        sa.Index("ix_reading_meter_zone_taken", "meter_id", "zone", sa.text("taken_on DESC")),
        sa.Index("ix_reading_meter_period", "meter_id", "period"),
        # A meter's accepted readings, the latest first: a page of them is the first rows of an index scan
        sa.Index(
            "ix_reading_meter_accepted_latest",
            "meter_id",
            sa.text("taken_on DESC"),
            sa.text("id DESC"),
            postgresql_where=sa.text("status = 'ACCEPTED'"),
        ),
        sa.UniqueConstraint("source", "external_id"),
    )

    id: int | None = id_field()
    meter_id: int = fk("meter.id", index=False, ondelete="CASCADE")
    zone: TariffZone = enum_field(TariffZone)
    value: int = Field(sa_type=sa.BigInteger)
    taken_on: date
    period: date  # first day of the billing month
    source: ReadingSource = enum_field(ReadingSource)
    status: ReadingStatus = enum_field(ReadingStatus, default=ReadingStatus.ACCEPTED)
    submission_id: int | None = fk("reading_submission.id", nullable=True, index=False, ondelete="SET NULL")
    external_id: str | None = Field(default=None, max_length=64)  # the sender's id, for idempotent imports
    created_at: datetime = timestamp_field()


class ImportBatch(SQLModel, table=True):
    """An integration's batch, remembered so that a resent batch changes nothing."""

    __tablename__ = "import_batch"
    __table_args__ = (sa.UniqueConstraint("sender", "external_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    sender: str = Field(max_length=100)
    external_id: str = Field(max_length=100)
    kind: str = Field(max_length=32)
    received_at: datetime = timestamp_field()
    items: int = 0

"""Smart-metering (ИСУ) data: metering points, daily registers, hourly profiles, power extremes, the event journal.

Energy is stored in watt-hours (varh) as integers, so kWh with three decimals survive without floats.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import enum_field, fk, id_field, timestamp_field
from models.enums import ExtremeKind, IsuEventCategory, PowerQuantity, TariffScale


class MeteringPoint(SQLModel, table=True):
    """Точка учёта of a smart meter, with its delivery point and transformer ratios («Справка»)."""

    __tablename__ = "metering_point"

    id: int | None = id_field()
    meter_id: int = fk("meter.id", ondelete="CASCADE")  # Meter.isu finds its point by meter
    account_id: int | None = fk("personal_account.id", nullable=True, ondelete="CASCADE")
    code: str = Field(max_length=32, unique=True)
    delivery_point_code: str = Field(max_length=32)
    address: str = Field(max_length=400)
    current_ratio: int = 1
    voltage_ratio: int = 1
    connected_on: date
    max_power_kw: Decimal | None = Field(default=None, sa_type=sa.Numeric(10, 2))


def _wh() -> int:
    return Field(default=0, sa_type=sa.BigInteger)  # type: ignore[no-any-return]


class IsuDailyRegister(SQLModel, table=True):
    """Cumulative registers at 00:00 local time of a day, per tariff scale."""

    __tablename__ = "isu_daily_register"

    metering_point_id: int = Field(
        sa_column_args=[sa.ForeignKey("metering_point.id", ondelete="CASCADE")],
        sa_type=sa.BigInteger,
        primary_key=True,
    )
    day: date = Field(primary_key=True)
    scale: TariffScale = Field(
        sa_type=sa.Enum(TariffScale, native_enum=False, length=32, values_callable=lambda m: [x.value for x in m]),
        primary_key=True,
    )
    a_plus_wh: int = _wh()
    a_minus_wh: int = _wh()
    r_plus_varh: int = _wh()
    r_minus_varh: int = _wh()


class IsuHourlyProfile(SQLModel, table=True):
    """Energy of one hour (starting at `hour`), one row per meter-hour with A+, A−, R+, R−."""

    __tablename__ = "isu_hourly_profile"

    # No foreign key: checked per row, it was most of a million-hour ingest. The ingest locks each point of a batch
    # (FOR KEY SHARE, what the check would take per row) and a trigger deletes a deleted point's hours (isu_0005).
    metering_point_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    hour: datetime = Field(sa_type=sa.DateTime(timezone=True), primary_key=True)
    a_plus_wh: int = _wh()
    a_minus_wh: int = _wh()
    r_plus_varh: int = _wh()
    r_minus_varh: int = _wh()


class IsuPowerExtreme(SQLModel, table=True):
    """Max / min of P, Q or S within a month, with the moment it happened («Мощность»)."""

    __tablename__ = "isu_power_extreme"
    __table_args__ = (sa.UniqueConstraint("metering_point_id", "period", "quantity", "kind"),)

    id: int | None = id_field()
    metering_point_id: int = fk("metering_point.id", index=False, ondelete="CASCADE")
    period: date
    quantity: PowerQuantity = enum_field(PowerQuantity)
    kind: ExtremeKind = enum_field(ExtremeKind)
    value: int  # W, var or VA
    occurred_at: datetime = timestamp_field()


class IsuEvent(SQLModel, table=True):
    """A meter's event journal entry («Журнал»). One entry per point, instant, category and code: what makes a
    resent journal change nothing."""

    __tablename__ = "isu_event"
    __table_args__ = (
        sa.Index("ix_isu_event_point_time", "metering_point_id", "occurred_at"),
        sa.UniqueConstraint("metering_point_id", "occurred_at", "category", "code"),
    )

    id: int | None = id_field()
    metering_point_id: int = fk("metering_point.id", index=False, ondelete="CASCADE")
    occurred_at: datetime = timestamp_field()
    category: IsuEventCategory = enum_field(IsuEventCategory)
    code: int
    description: str = Field(max_length=300)


class IsuIngestBatch(SQLModel, table=True):
    """A head-end batch and the report it got, so that a resent batch answers the same report and changes nothing."""

    __tablename__ = "isu_ingest_batch"
    __table_args__ = (sa.UniqueConstraint("sender", "external_id"),)

    id: int | None = id_field()
    sender: str = Field(max_length=100)
    external_id: str = Field(max_length=100)
    received_at: datetime = timestamp_field()
    report: dict[str, Any] = Field(sa_type=JSONB)


class IsuProfileGap(SQLModel, table=True):
    """Hours [gap_start, gap_end) of a metering point with no hourly profile between hours that have one.

    Recomputed around every batch's hours, so a gap that a later batch fills disappears.
    """

    __tablename__ = "isu_profile_gap"

    metering_point_id: int = Field(
        sa_column_args=[sa.ForeignKey("metering_point.id", ondelete="CASCADE")],
        sa_type=sa.BigInteger,
        primary_key=True,
    )
    gap_start: datetime = Field(sa_type=sa.DateTime(timezone=True), primary_key=True)
    gap_end: datetime = timestamp_field()
    detected_at: datetime = timestamp_field()

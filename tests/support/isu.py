"""A smart (ИСУ) meter for tests: an account with a metering point, a few days of hours, registers, extremes, events.

Rows go in through Core inserts in the test's transaction. The data is small and regular so tests can state the
exact lists they expect: hour i of the profile (from PROFILE_START) has A+ = 100 + i, A− = 0, R+ = 10 + i,
R− = i % 3, and the hour MISSING_HOUR is absent.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from loaders.isu import CHANNELS
from loaders.pages import table_of
from models import Customer, IsuDailyRegister, IsuEvent, IsuHourlyProfile, IsuPowerExtreme, Meter, MeteringPoint
from models.enums import ExtremeKind, IsuEventCategory, PowerQuantity, TariffScale
from services.platform.database import Database, run
from tests.support.factories import create_account

PROFILE_START = datetime(2026, 10, 31, 21, 0, tzinfo=UTC)  # 2026-11-01 00:00 Moscow time
PROFILE_HOURS = 72
MISSING_HOUR = 5
REGISTER_DAYS = (date(2026, 11, 1), date(2026, 11, 3))  # 2026-11-02 is missing
EXTREME_PERIODS = (date(2026, 10, 1), date(2026, 11, 1))
# Oldest first: (when, category, code, description).
EVENTS = (
    (datetime(2026, 11, 1, 6, 0, tzinfo=UTC), IsuEventCategory.ON_OFF, 1, "Отключение питания"),
    (datetime(2026, 11, 1, 7, 30, tzinfo=UTC), IsuEventCategory.ON_OFF, 2, "Включение питания"),
    (datetime(2026, 11, 2, 12, 0, tzinfo=UTC), IsuEventCategory.EXTERNAL_IMPACT, 41, "Воздействие магнитного поля"),
)
_sequence = itertools.count(1)


def hour_values(index: int) -> tuple[int, int, int, int] | None:
    """(A+, A−, R+, R−) of hour `index` of the profile; None for the missing hour and hours outside the profile."""
    if index == MISSING_HOUR or not 0 <= index < PROFILE_HOURS:
        return None
    return 100 + index, 0, 10 + index, index % 3


def register_values(day: date, scale: TariffScale) -> tuple[int, int, int, int]:
    base = 5_000_000_000 if scale is TariffScale.TOTAL else 1_000_000  # TOTAL beyond 32 bits on purpose
    return base + day.day * 1000, day.day, base // 10 + day.day, 7


@dataclass
class SmartMeter:
    meter: Meter
    point_id: int
    account_id: int

    @property
    def meter_id(self) -> int:
        assert self.meter.id is not None
        return self.meter.id


async def create_smart_meter(db: Database, *, now: datetime, owner: Customer | None = None) -> SmartMeter:
    account, meter = await create_account(db, now=now, owner=owner)
    assert meter.id is not None
    assert account.id is not None
    async with db.session() as session:
        await run(session, sa.update(table_of(Meter)).where(table_of(Meter).c.id == meter.id).values(is_smart=True))
        point_id = (
            await run(
                session,
                sa.insert(table_of(MeteringPoint))
                .values(
                    meter_id=meter.id,
                    account_id=account.id,
                    code=f"TP{next(_sequence):010d}",
                    delivery_point_code="2902000000001",
                    address=account.address,
                    current_ratio=1,
                    voltage_ratio=1,
                    connected_on=date(2024, 5, 14),
                    max_power_kw=Decimal("15.00"),
                )
                .returning(table_of(MeteringPoint).c.id),
            )
        ).scalar_one()
        await _insert_series(session, point_id)
        await session.commit()
    meter.is_smart = True
    return SmartMeter(meter=meter, point_id=point_id, account_id=account.id)


async def _insert_series(session: AsyncSession, point_id: int) -> None:
    hours = [
        {
            "metering_point_id": point_id,
            "hour": PROFILE_START + timedelta(hours=index),
            **dict(zip(CHANNELS, energy, strict=True)),
        }
        for index in range(PROFILE_HOURS)
        if (energy := hour_values(index)) is not None
    ]
    registers = [
        {
            "metering_point_id": point_id,
            "day": day,
            "scale": scale.value,
            **dict(zip(CHANNELS, register_values(day, scale), strict=True)),
        }
        for day in REGISTER_DAYS
        for scale in (TariffScale.TOTAL, TariffScale.T1)
    ]
    extremes = [
        {
            "metering_point_id": point_id,
            "period": period,
            "quantity": PowerQuantity.ACTIVE.value,
            "kind": kind.value,
            "value": value + period.month,
            "occurred_at": datetime(period.year, period.month, 3, 18, 15, tzinfo=UTC),
        }
        for period in EXTREME_PERIODS
        for kind, value in ((ExtremeKind.MAX, 4000), (ExtremeKind.MIN, 100))
    ]
    events = [
        {
            "metering_point_id": point_id,
            "occurred_at": at,
            "category": category.value,
            "code": code,
            "description": text,
        }
        for at, category, code, text in EVENTS
    ]
    for model, rows in (
        (IsuHourlyProfile, hours),
        (IsuDailyRegister, registers),
        (IsuPowerExtreme, extremes),
        (IsuEvent, events),
    ):
        await run(session, sa.insert(table_of(model)).values(rows))

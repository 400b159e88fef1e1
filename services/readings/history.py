"""What a new reading is checked against: the meter, the previous values per zone, the monthly average, the tariff."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import ZONES_BY_COUNT, ReadingStatus, SubmissionStatus, TariffCategory, TariffZone
from services.cabinet.periods import add_months, month_start
from services.platform.database import run
from services.readings.validation import Previous, consumption_since
from services.readings.window import local_date

PENDING = (SubmissionStatus.RECEIVED, SubmissionStatus.UNDER_REVIEW)
AVERAGE_MONTHS = 12
MIN_HISTORY_MONTHS = 3


@dataclass(frozen=True, slots=True)
class MeterInfo:
    id: int
    account_id: int | None
    contract_id: int | None
    zone_count: int
    digits: int
    removed_on: date | None
    tariff_category: TariffCategory | None  # contracts carry no population tariff group

    @property
    def zones(self) -> tuple[TariffZone, ...]:
        return ZONES_BY_COUNT[self.zone_count]


_METER = """
    SELECT m.id, m.account_id, dp.contract_id, m.zone_count, m.digits, m.removed_on, a.tariff_category
    FROM meter AS m
    LEFT JOIN delivery_point AS dp ON dp.id = m.delivery_point_id
    LEFT JOIN personal_account AS a ON a.id = m.account_id
    WHERE m.id = :meter_id
"""


async def load_meter(session: AsyncSession, meter_id: int, *, lock: bool = False) -> MeterInfo | None:
    """The meter; `lock` holds its row until commit, so that submissions for one meter take turns."""
    statement = _METER + (" FOR UPDATE OF m" if lock else "")
    row = (await run(session, sa.text(statement), {"meter_id": meter_id})).first()
    if row is None:
        return None
    return MeterInfo(
        id=row.id,
        account_id=row.account_id,
        contract_id=row.contract_id,
        zone_count=row.zone_count,
        digits=row.digits,
        removed_on=row.removed_on,
        tariff_category=TariffCategory(row.tariff_category) if row.tariff_category else None,
    )


_LAST_ACCEPTED = sa.text(
    """
    SELECT DISTINCT ON (zone) zone, value, taken_on
    FROM reading
    WHERE meter_id = :meter_id AND status = :accepted
    ORDER BY zone, taken_on DESC, id DESC
    """
)
_LAST_RECEIVED = sa.text(
    """
    SELECT DISTINCT ON (v.zone) v.zone, v.value, s.submitted_at
    FROM reading_submission AS s JOIN submitted_value AS v ON v.submission_id = s.id
    WHERE s.meter_id = :meter_id AND s.status = :received AND s.customer_id IS DISTINCT FROM :customer_id
    ORDER BY v.zone, s.submitted_at DESC, s.id DESC
    """
)


async def last_accepted(session: AsyncSession, meter_id: int) -> dict[TariffZone, Previous]:
    rows = (await run(session, _LAST_ACCEPTED, {"meter_id": meter_id, "accepted": ReadingStatus.ACCEPTED.value})).all()
    return {TariffZone(row.zone): Previous(value=row.value, taken_on=row.taken_on, pending=False) for row in rows}


async def previous_values(
    session: AsyncSession, meter_id: int, *, customer_id: int | None = None
) -> dict[TariffZone, Previous]:
    """Per zone, the later of the last accepted reading and the last RECEIVED submission of another customer.

    Counting another customer's waiting submission keeps the history consistent when two people of one family send
    before the first is processed: the second is checked against the first. The customer's own waiting submissions
    do not count: a new one replaces them (`submit_readings`), so a typo can be corrected at once. Submissions
    UNDER_REVIEW do not count either: consumption far above the usual may well be a typo, and until an operator
    accepts it nobody should have to type a value above it.
    """
    previous = await last_accepted(session, meter_id)
    pending_rows = (
        await run(
            session,
            _LAST_RECEIVED,
            {"meter_id": meter_id, "received": SubmissionStatus.RECEIVED.value, "customer_id": customer_id},
        )
    ).all()
    for row in pending_rows:
        zone = TariffZone(row.zone)
        sent_on = local_date(row.submitted_at)
        accepted = previous.get(zone)
        if accepted is None or sent_on >= accepted.taken_on:
            previous[zone] = Previous(value=row.value, taken_on=sent_on, pending=True)
    return previous


_HISTORY = sa.text(
    """
    SELECT zone, value, taken_on
    FROM reading
    WHERE meter_id = :meter_id AND status = :accepted AND taken_on >= :since AND taken_on <= :until
    ORDER BY zone, taken_on, id
    """
)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month


async def monthly_average(session: AsyncSession, meter: MeterInfo, *, today: date) -> float | None:
    """Average kWh a month (all zones together) over the last 12 months of accepted readings; None with less than
    three months of history."""
    since = add_months(month_start(today), -AVERAGE_MONTHS)
    rows = (
        await run(
            session,
            _HISTORY,
            {"meter_id": meter.id, "accepted": ReadingStatus.ACCEPTED.value, "since": since, "until": today},
        )
    ).all()
    by_zone: defaultdict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_zone[row.zone].append(row)
    total = 0
    months = 0
    for readings in by_zone.values():
        if len(readings) < 2:
            continue
        months = max(months, _month_index(readings[-1].taken_on) - _month_index(readings[0].taken_on))
        for before, after in itertools.pairwise(readings):
            total += consumption_since(before.value, after.value, digits=meter.digits) or 0
    if months < MIN_HISTORY_MONTHS:
        return None
    return total / months


def months_between(earlier: date, later: date) -> int:
    return max(_month_index(later) - _month_index(earlier), 0)


_RATES = sa.text(
    """
    SELECT zone, rate_kopecks FROM tariff
    WHERE category = :category AND zone_count = :zone_count AND valid_from <= :day
      AND (valid_to IS NULL OR valid_to > :day)
    """
)


async def rates_in_force(session: AsyncSession, meter: MeterInfo, *, day: date) -> dict[TariffZone, int]:
    """Kopecks per kWh of each zone on `day`: the account's tariff group, or for a contract's meter the organisations'
    price (without VAT), which billing charges its delivery point (services/billing/close.py)."""
    category = meter.tariff_category or TariffCategory.NON_HOUSEHOLD
    rows = (await run(session, _RATES, {"category": category.value, "zone_count": meter.zone_count, "day": day})).all()
    return {TariffZone(row.zone): row.rate_kopecks for row in rows}

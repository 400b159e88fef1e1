"""Meters, accepted and submitted readings, tariffs: one statement per relation for all parents of a request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select
from sqlalchemy.dialects.postgresql import distinct_on

from loaders.base import Loader, by_key, grouped
from loaders.pages import PageArgs, PageLoader, after_keyset, first_per_parent, table_of
from models import DeliveryPoint, Meter, Reading, ReadingSubmission, SubmittedValue, Tariff
from models.enums import ReadingStatus, TariffCategory

METER = table_of(Meter)
POINT = table_of(DeliveryPoint)
READING = table_of(Reading)
SUBMISSION = table_of(ReadingSubmission)
SUBMITTED_VALUE = table_of(SubmittedValue)
TARIFF = table_of(Tariff)

# A meter row with the contract its delivery point belongs to: enough to decide who may see it.
_METER_COLUMNS = (*METER.c, POINT.c.contract_id)
_METER_FROM = METER.outerjoin(POINT, POINT.c.id == METER.c.delivery_point_id)


class MeterById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        rows = await self.rows(sa.select(*_METER_COLUMNS).select_from(_METER_FROM).where(METER.c.id.in_(ids)))
        return by_key(ids, rows, "id")


class MetersByAccount(Loader[int, list[Any]]):
    """Meters in service on an account (a replaced meter's readings stay in the account's history)."""

    async def batch_load_fn(self, account_ids: list[int]) -> list[list[Any]]:
        rows = await self.rows(
            sa.select(*_METER_COLUMNS)
            .select_from(_METER_FROM)
            .where(METER.c.account_id.in_(account_ids), METER.c.removed_on.is_(None))
            .order_by(METER.c.installed_on, METER.c.id)
        )
        return grouped(account_ids, rows, "account_id")


class MetersByDeliveryPoint(Loader[int, list[Any]]):
    async def batch_load_fn(self, point_ids: list[int]) -> list[list[Any]]:
        rows = await self.rows(
            sa.select(*_METER_COLUMNS)
            .select_from(_METER_FROM)
            .where(METER.c.delivery_point_id.in_(point_ids), METER.c.removed_on.is_(None))
            .order_by(METER.c.installed_on, METER.c.id)
        )
        return grouped(point_ids, rows, "delivery_point_id")


class LastReadingsByMeter(Loader[int, list[Any]]):
    """The last accepted reading of each zone of a meter (an index scan per meter and zone)."""

    async def batch_load_fn(self, meter_ids: list[int]) -> list[list[Any]]:
        rows = await self.rows(
            sa.select(*READING.c)
            .where(READING.c.meter_id.in_(meter_ids), READING.c.status == ReadingStatus.ACCEPTED)
            .ext(distinct_on(READING.c.meter_id, READING.c.zone))
            .order_by(READING.c.meter_id, READING.c.zone, READING.c.taken_on.desc(), READING.c.id.desc())
        )
        return grouped(meter_ids, rows, "meter_id")


# Where a reading's owner is found: the meter itself, its account, or its delivery point's contract.
_READING_OWNERS: dict[str, ColumnElement[Any]] = {
    "meter": METER.c.id,
    "account": METER.c.account_id,
    "contract": POINT.c.contract_id,
}


class ReadingById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        rows = await self.rows(
            sa.select(*READING.c, METER.c.account_id, POINT.c.contract_id)
            .select_from(READING.join(_METER_FROM, METER.c.id == READING.c.meter_id))
            .where(READING.c.id.in_(ids))
        )
        return by_key(ids, rows, "id")


class _ReadingPages(PageLoader):
    """Accepted readings («Принятые»), newest first; the cursor is (taken_on, id)."""

    owner: ClassVar[str]

    def statement(self, parents: Sequence[int], args: PageArgs) -> Select[Any]:
        parent = _READING_OWNERS[self.owner]
        order = (READING.c.taken_on, READING.c.id)
        statement = (
            sa.select(*READING.c)
            .select_from(READING.join(_METER_FROM, METER.c.id == READING.c.meter_id))
            .where(
                parent.in_(parents),
                READING.c.status == ReadingStatus.ACCEPTED,
                after_keyset(order, args.after),
            )
        )
        if args.months is not None:
            statement = statement.where(READING.c.period.between(args.months.first, args.months.last))
        if args.meter_id is not None:
            statement = statement.where(READING.c.meter_id == args.meter_id)
        return first_per_parent(
            statement, parent=parent, order_by=[column.desc() for column in order], limit=args.first + 1
        )


class ReadingPagesByAccount(_ReadingPages):
    owner = "account"


class ReadingPagesByContract(_ReadingPages):
    owner = "contract"


class ReadingPagesByMeter(_ReadingPages):
    owner = "meter"


class SubmissionById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        rows = await self.rows(
            sa.select(*SUBMISSION.c, METER.c.account_id.label("meter_account_id"), POINT.c.contract_id)
            .select_from(SUBMISSION.join(_METER_FROM, METER.c.id == SUBMISSION.c.meter_id))
            .where(SUBMISSION.c.id.in_(ids))
        )
        return by_key(ids, rows, "id")


class _SubmissionPages(PageLoader):
    """Submitted readings («Переданные»), newest first; the cursor is (submitted_at, id)."""

    owner: ClassVar[str]

    def statement(self, parents: Sequence[int], args: PageArgs) -> Select[Any]:
        parent = _READING_OWNERS[self.owner]
        order = (SUBMISSION.c.submitted_at, SUBMISSION.c.id)
        statement = (
            sa.select(*SUBMISSION.c)
            .select_from(SUBMISSION.join(_METER_FROM, METER.c.id == SUBMISSION.c.meter_id))
            .where(parent.in_(parents), after_keyset(order, args.after))
        )
        if args.months is not None:
            statement = statement.where(SUBMISSION.c.period.between(args.months.first, args.months.last))
        if args.meter_id is not None:
            statement = statement.where(SUBMISSION.c.meter_id == args.meter_id)
        return first_per_parent(
            statement, parent=parent, order_by=[column.desc() for column in order], limit=args.first + 1
        )


class SubmissionPagesByAccount(_SubmissionPages):
    owner = "account"


class SubmissionPagesByContract(_SubmissionPages):
    owner = "contract"


class SubmissionPagesByMeter(_SubmissionPages):
    owner = "meter"


class SubmittedValuesBySubmission(Loader[int, list[Any]]):
    async def batch_load_fn(self, submission_ids: list[int]) -> list[list[Any]]:
        rows = await self.rows(
            sa.select(*SUBMITTED_VALUE.c)
            .where(SUBMITTED_VALUE.c.submission_id.in_(submission_ids))
            .order_by(SUBMITTED_VALUE.c.submission_id, SUBMITTED_VALUE.c.id)
        )
        return grouped(submission_ids, rows, "submission_id")


class TariffById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.rows(sa.select(*TARIFF.c).where(TARIFF.c.id.in_(ids))), "id")


TariffKey = tuple[TariffCategory, int, date]


class TariffsInForce(Loader[TariffKey, list[Any]]):
    """(tariff group, zone count, day) → the rate of each zone in force that day."""

    async def batch_load_fn(self, keys: list[TariffKey]) -> list[list[Any]]:
        days = [day for _, _, day in keys]
        rows = await self.rows(
            sa.select(*TARIFF.c)
            .where(
                TARIFF.c.category.in_({category for category, _, _ in keys}),
                TARIFF.c.zone_count.in_({count for _, count, _ in keys}),
                TARIFF.c.valid_from <= max(days),
                sa.or_(TARIFF.c.valid_to.is_(None), TARIFF.c.valid_to > min(days)),
            )
            .order_by(TARIFF.c.zone_count, TARIFF.c.id)
        )
        return [
            [
                row
                for row in rows
                if row.category == category
                and row.zone_count == count
                and row.valid_from <= day
                and (row.valid_to is None or row.valid_to > day)
            ]
            for category, count, day in keys
        ]

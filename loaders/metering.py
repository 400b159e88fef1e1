"""Meters, accepted and submitted readings, tariffs: one statement per relation for all parents of a request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from loaders.base import Loader, Query, by_key, enum_values, grouped
from loaders.pages import PageArgs, PageLoader, RankedPages, table_of
from models import DeliveryPoint, Meter, Reading, ReadingSubmission, SubmittedValue, Tariff
from models.enums import ReadingStatus, TariffCategory

METER = table_of(Meter)
POINT = table_of(DeliveryPoint)
READING = table_of(Reading)
SUBMISSION = table_of(ReadingSubmission)
SUBMITTED_VALUE = table_of(SubmittedValue)
TARIFF = table_of(Tariff)

ACCEPTED = ReadingStatus.ACCEPTED.value

# A meter row with the contract its delivery point belongs to: enough to decide who may see it.
_METER_SELECT = "SELECT m.*, p.contract_id FROM meter m LEFT JOIN delivery_point p ON p.id = m.delivery_point_id"
_METER_BY_ID = Query.of(f"{_METER_SELECT} WHERE m.id = ANY($1::bigint[])", METER)
_METERS_BY_ACCOUNT = Query.of(
    f"{_METER_SELECT} WHERE m.account_id = ANY($1::bigint[]) AND m.removed_on IS NULL ORDER BY m.installed_on, m.id",
    METER,
)
_METERS_BY_POINT = Query.of(
    f"{_METER_SELECT} WHERE m.delivery_point_id = ANY($1::bigint[]) AND m.removed_on IS NULL "
    "ORDER BY m.installed_on, m.id",
    METER,
)
_LAST_READINGS = Query.of(
    "SELECT DISTINCT ON (meter_id, zone) * FROM reading "
    f"WHERE meter_id = ANY($1::bigint[]) AND status = '{ACCEPTED}' "
    "ORDER BY meter_id, zone, taken_on DESC, id DESC",
    READING,
)
_READING_BY_ID = Query.of(
    "SELECT r.*, m.account_id, p.contract_id FROM reading r JOIN meter m ON m.id = r.meter_id "
    "LEFT JOIN delivery_point p ON p.id = m.delivery_point_id WHERE r.id = ANY($1::bigint[])",
    READING,
)
_SUBMISSION_BY_ID = Query.of(
    "SELECT s.*, m.account_id AS meter_account_id, p.contract_id FROM reading_submission s "
    "JOIN meter m ON m.id = s.meter_id LEFT JOIN delivery_point p ON p.id = m.delivery_point_id "
    "WHERE s.id = ANY($1::bigint[])",
    SUBMISSION,
)
_SUBMITTED_VALUES = Query.of(
    "SELECT * FROM submitted_value WHERE submission_id = ANY($1::bigint[]) ORDER BY submission_id, id", SUBMITTED_VALUE
)
_TARIFF_BY_ID = Query.of("SELECT * FROM tariff WHERE id = ANY($1::bigint[])", TARIFF)
_TARIFFS_IN_FORCE = Query.of(
    "SELECT * FROM tariff WHERE category = ANY($1::text[]) AND zone_count = ANY($2::int[]) "
    "AND valid_from <= $3::date AND (valid_to IS NULL OR valid_to > $4::date) ORDER BY zone_count, id",
    TARIFF,
)


class MeterById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.fetch(_METER_BY_ID, ids), "id")


class MetersByAccount(Loader[int, list[Any]]):
    """Meters in service on an account (a replaced meter's readings stay in the account's history)."""

    async def batch_load_fn(self, account_ids: list[int]) -> list[list[Any]]:
        return grouped(account_ids, await self.fetch(_METERS_BY_ACCOUNT, account_ids), "account_id")


class MetersByDeliveryPoint(Loader[int, list[Any]]):
    async def batch_load_fn(self, point_ids: list[int]) -> list[list[Any]]:
        return grouped(point_ids, await self.fetch(_METERS_BY_POINT, point_ids), "delivery_point_id")


class LastReadingsByMeter(Loader[int, list[Any]]):
    """The last accepted reading of each zone of a meter (an index scan per meter and zone)."""

    async def batch_load_fn(self, meter_ids: list[int]) -> list[list[Any]]:
        return grouped(meter_ids, await self.fetch(_LAST_READINGS, meter_ids), "meter_id")


# Where a reading's owner is found: the meter itself, its account, or its delivery point's contract.
_READING_OWNERS = {"meter": "m.id", "account": "m.account_id", "contract": "p.contract_id"}
_METER_JOIN = "JOIN meter m ON m.id = {alias}.meter_id LEFT JOIN delivery_point p ON p.id = m.delivery_point_id"


class ReadingById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.fetch(_READING_BY_ID, ids), "id")


def _reading_pages(owner: str) -> RankedPages:
    """Accepted readings («Принятые»), newest first; the cursor is (taken_on, id)."""
    parent = _READING_OWNERS[owner]
    return RankedPages(
        columns="r.*",
        parent=parent,
        source=f"FROM reading r {_METER_JOIN.format(alias='r')} "
        f"WHERE {parent} = ANY($1::bigint[]) AND r.status = '{ACCEPTED}'",
        order=(("r.taken_on", "date"), ("r.id", "bigint")),
        tables=(READING,),
        months=("r.period", "between", "date"),
        meter="r.meter_id",
    )


class _ReadingPages(PageLoader):
    pages: ClassVar[RankedPages]

    def query(self, args: PageArgs) -> Query:
        return self.pages.query(args)

    def params(self, parents: Sequence[int], args: PageArgs) -> tuple[Any, ...]:
        return self.pages.params(parents, args)


class ReadingPagesByAccount(_ReadingPages):
    pages = _reading_pages("account")


class ReadingPagesByContract(_ReadingPages):
    pages = _reading_pages("contract")


class ReadingPagesByMeter(_ReadingPages):
    pages = _reading_pages("meter")


class SubmissionById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.fetch(_SUBMISSION_BY_ID, ids), "id")


def _submission_pages(owner: str) -> RankedPages:
    """Submitted readings («Переданные»), newest first; the cursor is (submitted_at, id)."""
    parent = _READING_OWNERS[owner]
    return RankedPages(
        columns="s.*",
        parent=parent,
        source=f"FROM reading_submission s {_METER_JOIN.format(alias='s')} WHERE {parent} = ANY($1::bigint[])",
        order=(("s.submitted_at", "timestamptz"), ("s.id", "bigint")),
        tables=(SUBMISSION,),
        months=("s.period", "between", "date"),
        meter="s.meter_id",
    )


class SubmissionPagesByAccount(_ReadingPages):
    pages = _submission_pages("account")


class SubmissionPagesByContract(_ReadingPages):
    pages = _submission_pages("contract")


class SubmissionPagesByMeter(_ReadingPages):
    pages = _submission_pages("meter")


class SubmittedValuesBySubmission(Loader[int, list[Any]]):
    async def batch_load_fn(self, submission_ids: list[int]) -> list[list[Any]]:
        return grouped(submission_ids, await self.fetch(_SUBMITTED_VALUES, submission_ids), "submission_id")


class TariffById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.fetch(_TARIFF_BY_ID, ids), "id")


TariffKey = tuple[TariffCategory, int, date]


class TariffsInForce(Loader[TariffKey, list[Any]]):
    """(tariff group, zone count, day) → the rate of each zone in force that day."""

    async def batch_load_fn(self, keys: list[TariffKey]) -> list[list[Any]]:
        days = [day for _, _, day in keys]
        rows = await self.fetch(
            _TARIFFS_IN_FORCE,
            enum_values({category for category, _, _ in keys}),
            list({count for _, count, _ in keys}),
            max(days),
            min(days),
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

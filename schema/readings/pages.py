"""Readings tabs («Показания»): accepted and submitted readings of an account, a contract or one meter."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from strawberry import relay

from loaders.pages import PageArgs, PageLoader
from schema.core.compiled.sql_tree import keyset_cursor
from schema.core.context import Info
from schema.core.pages import DATE_ID, TIME_ID, load_page, page_args
from schema.core.period import PeriodFilter
from schema.readings.reading import Reading, ReadingSubmission


def _reading_cursor(row: Any) -> tuple[date, int]:
    return row.taken_on, row.id


# The SQL of `_reading_cursor`'s payload (orjson's text of (taken_on, id)), for readings pages built by PostgreSQL.
READING_CURSOR = keyset_cursor("{t}.taken_on")


def reading_pages(
    first: int | None = None,
    after: str | None = None,
    period: PeriodFilter | None = None,
    meter: relay.GlobalID | None = None,
) -> PageArgs:
    """The readings tab's page arguments: read the same way by `reading_page` and by its statement in SQL."""
    return page_args(first=first, after=after, cursor=DATE_ID, period=period, meter=meter)


def _submission_cursor(row: Any) -> tuple[datetime, int]:
    return row.submitted_at, row.id


async def reading_page(
    info: Info,
    loader: type[PageLoader],
    parent: int,
    *,
    first: int | None,
    after: str | None,
    period: PeriodFilter | None,
    meter: relay.GlobalID | None = None,
) -> relay.Connection[Reading]:
    args = reading_pages(first=first, after=after, period=period, meter=meter)
    return await load_page(
        info,
        loader,
        parent,
        args,
        to_node=Reading.from_row,
        cursor_of=_reading_cursor,
        prefetch=lambda page: Reading.with_meters(info, page, under=("edges", "node")),
    )


async def submission_page(
    info: Info,
    loader: type[PageLoader],
    parent: int,
    *,
    first: int | None,
    after: str | None,
    period: PeriodFilter | None,
    meter: relay.GlobalID | None = None,
) -> relay.Connection[ReadingSubmission]:
    args = page_args(first=first, after=after, cursor=TIME_ID, period=period, meter=meter)
    return await load_page(info, loader, parent, args, to_node=ReadingSubmission.from_row, cursor_of=_submission_cursor)

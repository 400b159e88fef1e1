"""The analysts' aggregates as CSV: UTF-8, a header row of the row type's field names, one line per row.

Rows are already small (they are aggregates), so they are computed first and then streamed line by line.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Awaitable, Callable, Iterable, Iterator
from decimal import Decimal
from enum import Enum
from typing import Any

from services.analytics import aggregates
from services.analytics.filters import Filters
from services.platform.clock import Clock
from services.platform.database import Database

Aggregate = Callable[[Database, Clock, Filters], Awaitable[list[Any]]]

# URL name → the aggregate; the names are what `GET /analytics/{name}.csv` accepts.
AGGREGATES: dict[str, Aggregate] = {
    "consumption": lambda db, _, f: aggregates.consumption_by_month_and_zone(db=db, filters=f),
    "charges": lambda db, _, f: aggregates.charges_by_month(db=db, filters=f),
    "payments": lambda db, _, f: aggregates.payments_by_month_and_method(db=db, filters=f),
    "debt": lambda db, clock, f: aggregates.debt_by_age_and_locality(db=db, clock=clock, filters=f),
    "reading-sources": lambda db, _, f: aggregates.reading_sources_by_month(db=db, filters=f),
    "submitting": lambda db, _, f: aggregates.customers_submitting_by_month(db=db, filters=f),
    "appeals": lambda db, _, f: aggregates.appeals_by_topic_and_status(db=db, filters=f),
    "load-curves": lambda db, _, f: aggregates.load_curves(db=db, filters=f),
}
ROW_TYPES: dict[str, type[Any]] = {
    "consumption": aggregates.ConsumptionRow,
    "charges": aggregates.ChargesRow,
    "payments": aggregates.PaymentsRow,
    "debt": aggregates.DebtRow,
    "reading-sources": aggregates.ReadingSourceRow,
    "submitting": aggregates.SubmittingRow,
    "appeals": aggregates.AppealsRow,
    "load-curves": aggregates.LoadCurveRow,
}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """CSV text, one line at a time (RFC 4180 quoting, \\r\\n line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(list(header))
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(value) for value in row])
        yield buffer.getvalue()


def aggregate_csv(row_type: type[Any], rows: list[Any]) -> Iterator[str]:
    names = [field.name for field in dataclasses.fields(row_type)]
    return csv_lines(names, ([getattr(row, name) for name in names] for row in rows))

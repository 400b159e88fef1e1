"""The head-end's CSV file (`server.py isu-import FILE.csv`, `POST /isu/batches/{batchId}`).

UTF-8 (a byte-order mark is allowed), comma-separated, one header row naming the columns in any order; a file carries
only the columns its records need. One row is one record; `record` says which:

- HOUR: `point` (metering point code), `at` (the hour's start, ISO 8601 with its zone), the four channels
  `a_plus_wh`, `a_minus_wh`, `r_plus_varh`, `r_minus_varh`;
- REGISTER: `point`, `at` (the day, YYYY-MM-DD: the registers at 00:00 local time), `scale` (TOTAL, T1, T2, T3),
  the four channels;
- EXTREME: `point`, `at` (the moment, ISO 8601 with zone), `period` (YYYY-MM), `quantity` (ACTIVE, REACTIVE,
  APPARENT), `kind` (MAX, MIN), `value` (W, var or VA);
- EVENT: `point`, `at` (the moment), `category` (VOLTAGE … POWER_QUALITY), `code`, `description`.

Channels are whole Wh (varh): A+ active import, A− active export, R+ reactive import, R− reactive export. An empty
channel counts as 0. Example:

    record,point,at,a_plus_wh,a_minus_wh,r_plus_varh,r_minus_varh
    HOUR,290100000001,2026-11-01T00:00:00+03:00,412,0,45,2

A header with an unknown column (a channel or field this format does not know) refuses the whole file; a row that is
not a well-formed record is refused with its line number and reason, and the other rows go on.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from operator import itemgetter

from services.isu.records import (
    CHANNELS,
    Batch,
    EventRecord,
    ExtremeRecord,
    HourRecord,
    RecordKind,
    Refusal,
    RefusalCode,
    RegisterRecord,
)

COLUMNS = (
    "record",
    "point",
    "at",
    "scale",
    *CHANNELS,
    "period",
    "quantity",
    "kind",
    "value",
    "category",
    "code",
    "description",
)
REQUIRED = ("record", "point", "at")
BATCH_ROWS = 50_000
_KINDS = {kind.value: kind for kind in RecordKind}
_CACHED_MOMENTS = 100_000  # a file's hours repeat for every metering point: parse each once


class CsvFormatError(ValueError):
    """The file as a whole is not in the format (no header, unknown or missing columns)."""


class _Bad(Exception):
    def __init__(self, code: RefusalCode) -> None:
        self.code = code


def _number(text: str) -> int:
    if not text:
        return 0
    if not text.isdigit():  # no sign, point, exponent or underscore
        raise _Bad(RefusalCode.BAD_NUMBER)
    try:
        return int(text)
    except ValueError:  # a digit int() does not read, e.g. "²"
        raise _Bad(RefusalCode.BAD_NUMBER) from None


def _moment(text: str, cache: dict[str, datetime] | None = None) -> datetime:
    if cache is not None and (known := cache.get(text)) is not None:
        return known
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Bad(RefusalCode.BAD_TIME) from None
    if moment.tzinfo is None:
        raise _Bad(RefusalCode.BAD_TIME)
    if cache is not None:
        if len(cache) > _CACHED_MOMENTS:
            cache.clear()
        cache[text] = moment
    return moment


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Bad(RefusalCode.BAD_TIME) from None


def _month(text: str) -> date:
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise _Bad(RefusalCode.BAD_TIME) from None


class _Reader:
    def __init__(self, header: list[str]) -> None:
        names = [name.strip().lower() for name in header]
        unknown = sorted(set(names) - set(COLUMNS))
        if unknown:
            raise CsvFormatError(f"unknown columns: {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            raise CsvFormatError(f"missing columns: {', '.join(missing)}")
        self.index = {name: position for position, name in enumerate(names)}
        self.width = len(names)
        self.record = self.index["record"]
        self.channel_positions = [self.index.get(name) for name in CHANNELS]
        present = [position for position in self.channel_positions if position is not None]
        self.pick_channels = itemgetter(*present) if len(present) == len(CHANNELS) else None
        self.point = self.index["point"]
        self.at = self.index["at"]
        self.moments: dict[str, datetime] = {}

    def field(self, row: list[str], name: str, *, required: bool = True) -> str:
        position = self.index.get(name)
        value = row[position].strip() if position is not None else ""
        if required and not value:
            raise _Bad(RefusalCode.MISSING_FIELD)
        return value

    def channels(self, row: list[str]) -> list[int]:
        if self.pick_channels is not None:  # the usual file: every channel has its column
            return [int(text) if text.isdigit() else _number(text.strip()) for text in self.pick_channels(row)]
        return [_number(row[position].strip()) if position is not None else 0 for position in self.channel_positions]

    def add(self, batch: Batch, line: int, row: list[str]) -> None:
        kind = _KINDS.get(row[self.record].strip().upper()) if len(row) > self.record else None
        if kind is None:
            batch.refused.append(Refusal(line, None, RefusalCode.UNKNOWN_RECORD))
            return
        if len(row) != self.width:
            batch.refused.append(Refusal(line, kind, RefusalCode.MISSING_FIELD))
            return
        try:
            point, at = row[self.point].strip(), row[self.at].strip()
            if not point or not at:
                raise _Bad(RefusalCode.MISSING_FIELD)
            if kind is RecordKind.HOUR:
                moment = self.moments.get(at) or _moment(at, self.moments)
                # tuple.__new__ skips NamedTuple's Python-level constructor: a million hours a file
                batch.hours.append(tuple.__new__(HourRecord, (line, point, moment, *self.channels(row))))
            elif kind is RecordKind.REGISTER:
                scale = self.field(row, "scale").upper()
                a_plus, a_minus, r_plus, r_minus = self.channels(row)
                batch.registers.append(RegisterRecord(line, point, _day(at), scale, a_plus, a_minus, r_plus, r_minus))
            elif kind is RecordKind.EXTREME:
                batch.extremes.append(
                    ExtremeRecord(
                        line,
                        point,
                        _month(self.field(row, "period")),
                        self.field(row, "quantity").upper(),
                        self.field(row, "kind").upper(),
                        _number(self.field(row, "value")),
                        _moment(at),
                    )
                )
            else:
                batch.events.append(
                    EventRecord(
                        line,
                        point,
                        _moment(at),
                        self.field(row, "category").upper(),
                        _number(self.field(row, "code")),
                        self.field(row, "description"),
                    )
                )
        except _Bad as bad:
            batch.refused.append(Refusal(line, kind, bad.code))


def read_batches(lines: Iterable[str], *, rows_per_batch: int = BATCH_ROWS) -> Iterator[Batch]:
    """The file's records in batches of at most `rows_per_batch` rows, in file order; line numbers count the header
    as line 1. Raises CsvFormatError when the header is not this format's."""
    rows = csv.reader(lines)
    header = next(rows, None)
    if header is None:
        raise CsvFormatError("the file is empty: a header row is expected")
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    reader = _Reader(header)
    batch = Batch()
    size = 0
    # The usual file is hours with all four channels: those rows take a path with no call per field. Anything
    # unusual in a row (a new time text, a channel that is not plain digits, spaces) goes through `_Reader.add`.
    pick, moments, width = reader.pick_channels, reader.moments, reader.width
    record, point_at, at_at = reader.record, reader.point, reader.at
    hours = batch.hours
    for row in rows:
        if not row:
            continue
        if pick is not None and len(row) == width and row[record] == "HOUR":
            a_plus, a_minus, r_plus, r_minus = pick(row)
            moment = moments.get(row[at_at])
            point = row[point_at]
            if (
                moment is not None
                and point
                and point[0] != " "
                and point[-1] != " "
                and a_plus.isdigit()
                and a_minus.isdigit()
                and r_plus.isdigit()
                and r_minus.isdigit()
            ):
                hours.append(
                    tuple.__new__(
                        HourRecord,
                        (rows.line_num, point, moment, int(a_plus), int(a_minus), int(r_plus), int(r_minus)),
                    )
                )
            else:
                reader.add(batch, rows.line_num, row)
        else:
            reader.add(batch, rows.line_num, row)
        size += 1
        if size == rows_per_batch:
            yield batch
            batch, size = Batch(), 0
            hours = batch.hours
    if size:
        yield batch

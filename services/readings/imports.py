"""Accepted readings pushed by integrations: the utility provider, the grid company, control inspections, ИСУ.

Idempotent twice over: a batch id seen before from the same sender changes nothing, and an item whose
(source, external id) is already stored is skipped. All items of a batch are stored, or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from models import Reading
from models.enums import ZONES_BY_COUNT, ReadingSource, ReadingStatus, TariffZone
from services.cabinet.periods import month_start
from services.errors import DomainError, ErrorCode, Problem
from services.integrations.batches import check_batch_id, claim_batch
from services.integrations.service_tokens import READINGS_WRITE, ServicePrincipal, require_scope
from services.platform.database import run
from services.platform.runtime import Runtime
from services.readings.window import local_date

MAX_ITEMS = 1000
IMPORT_SOURCES = frozenset(source for source in ReadingSource if source is not ReadingSource.CUSTOMER)


@dataclass(frozen=True, slots=True)
class ImportItem:
    external_id: str
    zone: TariffZone
    value: int
    taken_on: date
    meter_id: int | None = None
    meter_serial: str | None = None


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    skipped: int  # already stored (same source and external id)
    repeated_batch: bool  # the whole batch was received before; nothing was looked at


_METERS = sa.text(
    """
    SELECT id, serial, zone_count, digits FROM meter
    WHERE id = ANY(CAST(:ids AS bigint[])) OR (serial = ANY(CAST(:serials AS varchar[])) AND removed_on IS NULL)
    """
)


def _problem(code: ErrorCode, message: str, index: int, name: str) -> Problem:
    return Problem(code, message, ("input", "items", str(index), name))


def _resolve(index: int, item: ImportItem, by_id: dict[int, Any], by_serial: dict[str, list[Any]]) -> Any | Problem:
    if (item.meter_id is None) == (item.meter_serial is None):
        return _problem(ErrorCode.INVALID_INPUT, "Укажите либо meterId, либо meterSerial", index, "meterId")
    if item.meter_id is not None:
        meter = by_id.get(item.meter_id)
        return meter or _problem(ErrorCode.METER_NOT_FOUND, "Прибор учёта не найден", index, "meterId")
    matches = by_serial.get(item.meter_serial or "", [])
    if len(matches) != 1:
        message = "Прибор учёта не найден" if not matches else "Заводской номер не однозначен: укажите meterId"
        return _problem(ErrorCode.METER_NOT_FOUND, message, index, "meterSerial")
    return matches[0]


def _item_problems(index: int, item: ImportItem, meter: Any, today: date, seen: set[str]) -> list[Problem]:
    problems = []
    if not item.external_id.strip() or len(item.external_id) > 64:
        problems.append(_problem(ErrorCode.INVALID_INPUT, "Идентификатор: от 1 до 64 символов", index, "externalId"))
    elif item.external_id in seen:
        problems.append(_problem(ErrorCode.INVALID_INPUT, "Идентификатор повторяется в пакете", index, "externalId"))
    seen.add(item.external_id)
    if item.zone not in ZONES_BY_COUNT[meter.zone_count]:
        problems.append(_problem(ErrorCode.ZONES_MISMATCH, "У этого прибора учёта нет такой зоны", index, "zone"))
    if item.value < 0:
        problems.append(_problem(ErrorCode.INVALID_INPUT, "Значение не может быть отрицательным", index, "value"))
    elif item.value >= 10**meter.digits:
        problems.append(
            _problem(ErrorCode.TOO_MANY_DIGITS, f"Значение: от 0 до {10**meter.digits - 1}", index, "value")
        )
    if item.taken_on > today:
        problems.append(_problem(ErrorCode.INVALID_INPUT, "Дата показания ещё не наступила", index, "takenOn"))
    return problems


async def import_readings(
    runtime: Runtime, *, principal: ServicePrincipal, source: ReadingSource, batch_id: str, items: Sequence[ImportItem]
) -> ImportResult:
    """Accepted readings of an integration (`readings:write`); its batches are named by the token's name."""
    require_scope(principal, READINGS_WRITE)
    sender = principal.name
    if source not in IMPORT_SOURCES:
        raise DomainError.single(
            ErrorCode.INVALID_INPUT, "Показания клиентов передаются через submitReadings", "input", "source"
        )
    check_batch_id(batch_id)
    if len(items) > MAX_ITEMS:
        raise DomainError.single(ErrorCode.INVALID_INPUT, f"Не больше {MAX_ITEMS} показаний за раз", "input", "items")
    now = runtime.clock.now()
    today = local_date(now)
    async with runtime.db.session() as session:
        claimed = await claim_batch(
            session, sender=sender, batch_id=batch_id, kind=f"readings:{source.value}", items=len(items), now=now
        )
        if not claimed:
            return ImportResult(created=0, skipped=0, repeated_batch=True)
        meter_rows = (
            await run(
                session,
                _METERS,
                {
                    "ids": [item.meter_id for item in items if item.meter_id is not None],
                    "serials": [item.meter_serial for item in items if item.meter_serial is not None],
                },
            )
        ).all()
        by_id = {row.id: row for row in meter_rows}
        by_serial: dict[str, list[Any]] = {}
        for row in meter_rows:
            by_serial.setdefault(row.serial, []).append(row)
        problems: list[Problem] = []
        rows = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            meter = _resolve(index, item, by_id, by_serial)
            if isinstance(meter, Problem):
                problems.append(meter)
                continue
            problems.extend(_item_problems(index, item, meter, today, seen))
            rows.append(
                {
                    "meter_id": meter.id,
                    "zone": item.zone.value,
                    "value": item.value,
                    "taken_on": item.taken_on,
                    "period": month_start(item.taken_on),
                    "source": source.value,
                    "status": ReadingStatus.ACCEPTED.value,
                    "external_id": item.external_id,
                    "created_at": now,
                }
            )
        if problems:
            raise DomainError(problems)
        created = 0
        if rows:
            statement: Any = (
                insert(Reading)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["source", "external_id"])
                .returning(sa.column("id"))
            )
            created = len((await run(session, statement)).all())
        await session.commit()
    return ImportResult(created=created, skipped=len(rows) - created, repeated_batch=False)

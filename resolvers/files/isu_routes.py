"""Downloads and the head-end's upload, beside the file routes:

- `GET /analytics/{aggregate}.csv?from=YYYY-MM&to=YYYY-MM[&locality=…&objectKind=…&tariffCategory=…]`: an analysts'
  aggregate (services/analytics/export.py names them) for analysts and admins; months [from, to).
- `GET /isu/meters/{meterId}/hours.csv|registers.csv|events.csv|espi.xml?from=YYYY-MM-DD&to=YYYY-MM-DD`: a smart
  meter's data, local days [from, to), for the customers of the meter's account or contract and for staff readers;
  anyone else gets 404, exactly as for a missing meter.
- `POST /isu/batches/{batchId}` with a CSV body (services/isu/csv_format.py): the head-end's batch, service token
  with scope `isu:write`; answers the batch's report as JSON.

All with `Authorization: Bearer …`. Bad parameters answer 400 with a stable code and a Russian message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from models.enums import ObjectKind, Role, TariffCategory
from schema.core.view import bearer_token
from services.analytics.export import AGGREGATES, ROW_TYPES, aggregate_csv
from services.analytics.filters import Filters
from services.auth_tokens import Viewer, decode_access_token
from services.integrations.service_tokens import ISU_WRITE, service_principal
from services.isu.csv_format import CsvFormatError, read_batches
from services.isu.export import (
    MAX_EXPORT_DAYS,
    day_range,
    espi_xml,
    events_csv,
    hours_csv,
    registers_csv,
    visible_point,
)
from services.isu.ingest import MAX_BATCH_ROWS, ingest_batch
from services.isu.records import Batch
from services.platform.runtime import Runtime

ANALYSTS = frozenset({Role.ANALYST, Role.ADMIN})
MAX_BATCH_BYTES = 16 * 1024 * 1024
CSV = "text/csv; charset=utf-8"


def _problem(status: int, code: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def _not_found() -> JSONResponse:
    return _problem(404, "NOT_FOUND", "Не найдено")


def _download_headers(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }


async def _viewer(request: Request) -> Viewer | Response:
    runtime: Runtime = request.app.state.runtime
    token = bearer_token(request.headers.get("authorization"))
    viewer = None
    if token is not None:
        viewer = decode_access_token(secret=runtime.settings.secret_key, token=token, now=runtime.clock.now())
        if viewer is not None and await runtime.session_guard.is_revoked(viewer.session_id):
            viewer = None
    if viewer is None:
        return _problem(401, "UNAUTHENTICATED", "Войдите, чтобы скачать файл")
    return viewer


def _month(text: str | None) -> date:
    year, _, month = (text or "").partition("-")
    if not (year.isdigit() and month.isdigit() and len(year) == 4 and len(month) == 2 and 1 <= int(month) <= 12):
        raise ValueError(text)
    return date(int(year), int(month), 1)


def _filters(request: Request) -> Filters | Response:
    params = request.query_params
    try:
        period_from, period_to = _month(params.get("from")), _month(params.get("to"))
    except ValueError:
        return _problem(400, "INVALID_INPUT", "Укажите месяцы from и to в виде ГГГГ-ММ")
    try:
        kind = ObjectKind(params["objectKind"]) if "objectKind" in params else None
        category = TariffCategory(params["tariffCategory"]) if "tariffCategory" in params else None
    except ValueError:
        return _problem(400, "INVALID_INPUT", "Неизвестный вид объекта или тарифная группа")
    return Filters(  # a DomainError answers 400 with its code (resolvers/http_errors.py)
        period_from=period_from,
        period_to=period_to,
        locality=params.get("locality") or None,
        object_kind=kind,
        tariff_category=category,
    )


async def analytics_csv(request: Request) -> Response:
    viewer = await _viewer(request)
    if isinstance(viewer, Response):
        return viewer
    if viewer.role not in ANALYSTS:
        return _problem(403, "FORBIDDEN", "Выгрузка доступна аналитикам")
    name = request.path_params["aggregate"]
    aggregate = AGGREGATES.get(name)
    if aggregate is None:
        return _not_found()
    filters = _filters(request)
    if isinstance(filters, Response):
        return filters
    runtime: Runtime = request.app.state.runtime
    rows = await aggregate(runtime.db, runtime.clock, filters)
    filename = f"{name}-{filters.period_from:%Y-%m}-{filters.period_to:%Y-%m}.csv"
    return StreamingResponse(aggregate_csv(ROW_TYPES[name], rows), media_type=CSV, headers=_download_headers(filename))


def _days(request: Request) -> tuple[date, date] | Response:
    try:
        first, end = date.fromisoformat(request.query_params["from"]), date.fromisoformat(request.query_params["to"])
    except (KeyError, ValueError):
        return _problem(400, "INVALID_INPUT", "Укажите даты from и to в виде ГГГГ-ММ-ДД")
    if not 0 < (end - first).days <= MAX_EXPORT_DAYS:
        return _problem(400, "INVALID_INPUT", f"Период: от 1 до {MAX_EXPORT_DAYS} дней, конец позже начала")
    return first, end


async def meter_export(request: Request) -> Response:
    viewer = await _viewer(request)
    if isinstance(viewer, Response):
        return viewer
    raw_id, kind = request.path_params["meter_id"], request.path_params["kind"]
    if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18):
        return _not_found()
    runtime: Runtime = request.app.state.runtime
    point = await visible_point(db=runtime.db, viewer_id=viewer.customer_id, role=viewer.role, meter_id=int(raw_id))
    if point is None or kind not in ("hours.csv", "registers.csv", "events.csv", "espi.xml"):
        return _not_found()
    days = _days(request)
    if isinstance(days, Response):
        return days
    first, end = days
    since, until = day_range(first, end)
    body: AsyncIterator[str]
    if kind == "hours.csv":
        body = hours_csv(db=runtime.db, point_id=point.point_id, since=since, until=until)
    elif kind == "registers.csv":
        body = registers_csv(db=runtime.db, point_id=point.point_id, first=first, end=end)
    elif kind == "events.csv":
        body = events_csv(db=runtime.db, point_id=point.point_id, since=since, until=until)
    else:
        body = espi_xml(
            db=runtime.db,
            point=point,
            since=since,
            until=until,
            base_url=runtime.settings.public_url.rstrip("/"),
            now=runtime.clock.now(),
        )
    media_type = "application/atom+xml; charset=utf-8" if kind == "espi.xml" else CSV
    filename = f"isu-{point.code}-{first}-{end}-{kind}"
    return StreamingResponse(body, media_type=media_type, headers=_download_headers(filename))


async def isu_batch(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    token = bearer_token(request.headers.get("authorization"))
    principal = await service_principal(runtime, token) if token is not None else None
    if principal is None:
        return _problem(401, "UNAUTHENTICATED", "Нужен токен интеграции")
    if not principal.may(ISU_WRITE):
        return _problem(403, "FORBIDDEN", "У токена нет права isu:write")
    body = await request.body()
    if len(body) > MAX_BATCH_BYTES:
        return _problem(413, "INVALID_INPUT", f"Пакет больше {MAX_BATCH_BYTES // (1024 * 1024)} МБ; разделите его")
    try:
        text = body.decode("utf-8-sig")
        batches = list(read_batches(text.splitlines(keepends=True), rows_per_batch=MAX_BATCH_ROWS + 1))
    except (UnicodeDecodeError, CsvFormatError) as error:
        return _problem(400, "INVALID_INPUT", f"Файл не в формате ИСУ: {error}")
    if len(batches) > 1:
        return _problem(413, "INVALID_INPUT", f"Не больше {MAX_BATCH_ROWS} строк в пакете; разделите его")
    report = await ingest_batch(  # a DomainError answers 400 with its code (resolvers/http_errors.py)
        db=runtime.db,
        clock=runtime.clock,
        principal=principal,
        sender=f"service:{principal.token_id}",
        batch_id=request.path_params["batch_id"],
        batch=batches[0] if batches else Batch(),
    )
    return JSONResponse(report.to_json())


def isu_routes() -> list[BaseRoute]:
    return [
        Route("/analytics/{aggregate}.csv", analytics_csv, methods=["GET"]),
        Route("/isu/meters/{meter_id}/{kind}", meter_export, methods=["GET"]),
        Route("/isu/batches/{batch_id}", isu_batch, methods=["POST"]),
    ]

"""`GET /files/{id}` and `GET /statements/{id}.pdf` (signed links, for the viewer they were issued to), and the public
application template.

A download needs both: the link's signature (issued by a resolver that checked the viewer may see the file, binding
the viewer's id and a 5-minute expiry) and `Authorization: Bearer` of that same viewer. Anything wrong with the link
or the token's owner answers 404, like a missing file; an expired link answers 410 so the client knows to ask for a
fresh one; no or a dead token answers 401.
"""

from __future__ import annotations

from functools import partial
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from models.infra import StoredFile
from schema.core.view import bearer_token
from services.auth_tokens import decode_access_token
from services.billing.payee import ENERGOSBYT
from services.billing.receipt_pdf import file_name, render_statement_pdf
from services.billing.statement_document import load_statement_document
from services.files.signing import LinkCheck, LinkKind, check_link
from services.objects.application_template import TEMPLATE_FILENAME, TEMPLATE_PATH, application_template_pdf
from services.platform.runtime import Runtime


def _problem(status: int, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _attachment(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


async def _refusal(request: Request, *, kind: LinkKind, path_param: str) -> Response | None:
    """None when the request carries an unexpired link of `kind` issued to its signed-in viewer; else the refusal."""
    runtime: Runtime = request.app.state.runtime
    now = runtime.clock.now()
    raw_id = request.path_params[path_param]
    params = request.query_params
    expires, viewer_id, signature = params.get("expires", ""), params.get("viewer", ""), params.get("signature", "")
    if not (
        all(value.isascii() and value.isdigit() and len(value) <= 18 for value in (raw_id, expires, viewer_id))
        and signature
    ):
        return _problem(404, "not found")
    viewer = None
    token = bearer_token(request.headers.get("authorization"))
    if token is not None:
        viewer = decode_access_token(secret=runtime.settings.secret_key, token=token, now=now)
        if viewer is not None and not await runtime.session_guard.honours(viewer):
            viewer = None
    if viewer is None:
        return _problem(401, "sign in to download this file")
    check = check_link(
        kind=kind,
        secret=runtime.settings.secret_key,
        object_id=int(raw_id),
        viewer_id=int(viewer_id),
        expires=int(expires),
        signature=signature,
        now=now,
    )
    if check is LinkCheck.INVALID or viewer.customer_id != int(viewer_id):
        return _problem(404, "not found")
    if check is LinkCheck.EXPIRED:
        return _problem(410, "the link has expired: ask for a new one")
    return None


async def download(request: Request) -> Response:
    if (refusal := await _refusal(request, kind=LinkKind.FILE, path_param="file_id")) is not None:
        return refusal
    runtime: Runtime = request.app.state.runtime
    raw_id = request.path_params["file_id"]
    async with runtime.db.session() as session:
        stored = await session.get(StoredFile, int(raw_id))
    if stored is None:
        return _problem(404, "not found")
    try:
        data = await runtime.file_storage.open(stored.storage_key)
    except FileNotFoundError:
        return _problem(404, "not found")
    return Response(
        data,
        media_type=stored.content_type,
        headers={
            "Content-Disposition": _attachment(stored.filename),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def statement_pdf(request: Request) -> Response:
    """The payment document of a statement, rendered on request: it is a pure function of the statement's rows."""
    if (refusal := await _refusal(request, kind=LinkKind.STATEMENT_PDF, path_param="statement_id")) is not None:
        return refusal
    runtime: Runtime = request.app.state.runtime
    async with runtime.db.session() as session:
        document = await load_statement_document(session, statement_id=int(request.path_params["statement_id"]))
    if document is None:
        return _problem(404, "not found")
    # Rendering takes tens of milliseconds of CPU: off the event loop, so other requests are not held up.
    content = await run_in_threadpool(
        partial(
            render_statement_pdf,
            statement=document.statement,
            payer=document.payer,
            charges=document.charges,
            payments=document.payments,
            payee=ENERGOSBYT,
        )
    )
    name = file_name(account_number=document.payer.number, period=document.statement.period)
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": _attachment(name),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def application_template(_: Request) -> Response:
    return Response(
        application_template_pdf(),
        media_type="application/pdf",
        headers={"Content-Disposition": _attachment(TEMPLATE_FILENAME), "Cache-Control": "public, max-age=86400"},
    )


def file_routes() -> list[BaseRoute]:
    return [
        Route("/files/{file_id}", download, methods=["GET"]),
        Route("/statements/{statement_id}.pdf", statement_pdf, methods=["GET"]),
        Route(TEMPLATE_PATH, application_template, methods=["GET"]),
    ]

"""Every error the endpoint answers is JSON with `extensions.code` (issue 13: plain-text 400s and 500s, and GraphQL
errors without a code, left clients guessing).

HTTP-level refusals (a body that is not a JSON object, a batch, a mutation over GET, a broken multipart body) become
`{"errors": [{"message", "extensions": {"code"}}]}` with a 4xx status; GraphQL errors that carry no code get the one
their kind calls for (Apollo Server's names, which clients already know).
"""

from __future__ import annotations

from typing import Any

import orjson
from graphql import GraphQLError
from starlette.responses import Response

from schema.core.masking import INTERNAL_ERROR_MESSAGE

JSON_MEDIA = "application/json"
# GraphQL over HTTP's own media type: request errors are 4xx and have no `data` entry.
RESPONSE_MEDIA = "application/graphql-response+json"
# Apollo's batch link sends at most this many operations in one request (its default batchMax is 10).
MAX_BATCH_OPERATIONS = 10
BATCH_EMPTY = "A batch must hold at least one operation"

# strawberry's reason → (status, code, Russian message)
_HTTP_REFUSALS: dict[str, tuple[int, str, str]] = {
    "Unable to parse request body as JSON": (400, "INVALID_JSON", "Тело запроса — не JSON в кодировке UTF-8"),
    "Batching is not enabled": (400, "BATCH_NOT_SUPPORTED", "Пакетные запросы не поддерживаются: по одному"),
    "Too many operations": (
        400,
        "BATCH_TOO_LARGE",
        f"В одном пакете не больше {MAX_BATCH_OPERATIONS} операций; разделите пакет",
    ),
    BATCH_EMPTY: (400, "INVALID_REQUEST", "Пакет запросов пуст: нужна хотя бы одна операция"),
    "Unsupported content type": (
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Отправьте запрос как application/json (или multipart/form-data для файлов)",
    ),
    "No GraphQL query found in the request": (400, "QUERY_MISSING", "В запросе нет поля query"),
    "Unable to parse the multipart body": (400, "INVALID_MULTIPART", "Не удалось разобрать multipart-запрос"),
    "File(s) missing in form data": (400, "INVALID_MULTIPART", "В multipart-запросе не хватает файлов"),
    "GraphQL only supports GET and POST requests.": (405, "METHOD_NOT_ALLOWED", "Используйте GET или POST"),
}
BODY_NOT_OBJECT = "The request body must be a JSON object"
_HTTP_REFUSALS[BODY_NOT_OBJECT] = (400, "INVALID_REQUEST", "Тело запроса должно быть JSON-объектом с полем query")


def response_media(accept: str | None) -> str:
    """The media type to answer in: `application/graphql-response+json` when Accept prefers it (or names it and not
    `application/json`), else `application/json` (also for a missing Accept, `*/*` and legacy clients)."""
    best, best_q = JSON_MEDIA, -1.0
    for position, part in enumerate((accept or "").split(",")):
        kind, *params = (piece.strip() for piece in part.split(";"))
        if kind.lower() not in (JSON_MEDIA, RESPONSE_MEDIA):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0 and q > best_q:
            best, best_q = kind.lower(), q - position * 1e-6  # equal q: the first listed wins
    return best


def coded_http_error(
    status: int, reason: str, *, media: str = JSON_MEDIA, extensions: dict[str, Any] | None = None
) -> Response:
    """The JSON answer to an HTTP-level refusal of strawberry's (status and reason as it gave them)."""
    known = _HTTP_REFUSALS.get(reason)
    headers: dict[str, str] = {}
    if known is not None:
        status, code, message = known
    elif "not allowed when using GET" in reason:
        # GraphQL over HTTP: a mutation over GET is 405 Method Not Allowed, with the method that is.
        status, code, message = 405, "METHOD_NOT_ALLOWED", "Мутации отправляйте методом POST"
        headers["Allow"] = "POST"
    elif "operation" in reason.lower():
        code, message = "OPERATION_RESOLUTION_FAILURE", "Не удалось выбрать операцию: укажите operationName"
    else:
        code, message = "BAD_REQUEST", "Неверный запрос"
    return coded_response(status, code, message, headers=headers, media=media, extensions=extensions)


def coded_response(
    status: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    media: str = JSON_MEDIA,
    extensions: dict[str, Any] | None = None,
) -> Response:
    answer: dict[str, Any] = {"errors": [{"message": message, "extensions": {"code": code}}]}
    if extensions:
        answer["extensions"] = extensions
    body = orjson.dumps(answer)
    return Response(body, status_code=status, media_type=media, headers=headers)


def error_code(error: GraphQLError, *, executed: bool) -> str:
    """The code of a GraphQL error that carries none of its own. `executed`: whether execution had begun."""
    message = error.message
    if message == INTERNAL_ERROR_MESSAGE:
        return "INTERNAL_SERVER_ERROR"
    if message.startswith("Syntax Error: Document contains more than"):
        return "QUERY_TOO_LARGE"
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if "exceeds maximum operation depth" in message:
        return "QUERY_TOO_DEEP"
    if message.startswith("Variable '$") or error.original_error is not None or executed:
        # A value the schema refused: a variable of the wrong type, an id, an enum or a scalar out of range.
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def with_codes(formatted: list[dict[str, Any]], errors: list[GraphQLError], *, executed: bool) -> list[dict[str, Any]]:
    coded = []
    for entry, error in zip(formatted, errors, strict=True):
        extensions = dict(entry.get("extensions") or {})
        if not extensions.get("code"):
            extensions["code"] = error_code(error, executed=executed)
        coded.append({**entry, "extensions": extensions})
    return coded

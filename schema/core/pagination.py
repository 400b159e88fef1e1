"""Relay connections with keyset cursors: `first` at most 100, cursors opaque to clients."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson
from strawberry import relay

from schema.core.errors import BadUserInputError
from services.errors import ErrorCode

MAX_PAGE = 100
DEFAULT_PAGE = 20

N = TypeVar("N", bound=relay.Node)


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise BadUserInputError(f"Параметр first должен быть от 0 до {MAX_PAGE}", ErrorCode.INVALID_INPUT)
    return first


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(values), default=str)).decode()


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, orjson.JSONDecodeError) as error:
        raise BadUserInputError("Неверный курсор", ErrorCode.INVALID_INPUT) from error
    if not isinstance(values, list):
        raise BadUserInputError("Неверный курсор", ErrorCode.INVALID_INPUT)
    return values


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
    edges = [relay.Edge(cursor=encode_cursor(cursor_of(row)), node=to_node(row)) for row in page]
    return relay.Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )

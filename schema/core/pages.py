"""Connection arguments → a loader's page key, and a loader's rows → a Relay connection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from strawberry import relay

from loaders.pages import PageArgs, PageKey, PageLoader
from schema.core.context import Info
from schema.core.errors import BadUserInputError
from schema.core.ownership import parse_id
from schema.core.pagination import decode_cursor, make_connection, page_size
from schema.core.period import PeriodFilter, month_range
from services.errors import ErrorCode

N = TypeVar("N", bound=relay.Node)

# How a cursor's values are read back: the sort key of a row, e.g. (taken_on, id).
DATE_ID: tuple[Callable[[Any], Hashable], ...] = (date.fromisoformat, int)
TIME_ID: tuple[Callable[[Any], Hashable], ...] = (datetime.fromisoformat, int)


def _cursor(after: str | None, parsers: Sequence[Callable[[Any], Hashable]]) -> tuple[Hashable, ...] | None:
    values = decode_cursor(after)
    if values is None:
        return None
    try:
        if len(values) != len(parsers):
            raise ValueError("cursor of another list")
        return tuple(parse(value) for parse, value in zip(parsers, values, strict=True))
    except (TypeError, ValueError) as error:
        raise BadUserInputError("Неверный курсор", ErrorCode.INVALID_INPUT) from error


def meter_filter(meter: relay.GlobalID | None) -> int | None:
    if meter is None:
        return None
    meter_id = parse_id(meter.node_id)
    if meter.type_name != "Meter" or meter_id is None:
        raise BadUserInputError("Укажите прибор учёта из этого списка", ErrorCode.INVALID_INPUT)
    return meter_id


def page_args(
    *,
    first: int | None,
    after: str | None,
    cursor: Sequence[Callable[[Any], Hashable]],
    period: PeriodFilter | None = None,
    meter: relay.GlobalID | None = None,
) -> PageArgs:
    return PageArgs(
        first=page_size(first), after=_cursor(after, cursor), months=month_range(period), meter_id=meter_filter(meter)
    )


async def load_page(
    info: Info,
    loader: type[PageLoader],
    parent: int,
    args: PageArgs,
    *,
    to_node: Callable[[Any], N],
    cursor_of: Callable[[Any], Sequence[Any]],
    prefetch: Callable[[list[N]], Awaitable[object]] | None = None,
) -> relay.Connection[N]:
    """A page of a parent's list; `prefetch` fills the page's nodes' children for all of them at once."""
    key: PageKey = (parent, args)
    rows = await info.context.loaders.get(loader).load(key)
    connection = make_connection(
        rows, first=args.first, to_node=to_node, cursor_of=cursor_of, has_previous=args.after is not None
    )
    if prefetch is not None:
        await prefetch([edge.node for edge in connection.edges])
    return connection

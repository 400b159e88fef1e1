"""The one keyset cursor decoder every connection uses: what a cursor carries comes back typed, anything else is bad
input (BAD_USER_INPUT «Неверный курсор»), never an internal error."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Any

import pytest

from schema.core.errors import BadUserInputError
from schema.core.pagination import decode_keyset, encode_cursor, exactly

TIME_ID = (datetime.fromisoformat, int)


def test_no_cursor_is_the_first_page() -> None:
    assert decode_keyset(None, TIME_ID) is None


def test_a_cursor_made_by_a_connection_comes_back_typed() -> None:
    moment = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    assert decode_keyset(encode_cursor([moment.isoformat(), 42]), TIME_ID) == (moment, 42)
    assert decode_keyset(encode_cursor([date(2026, 10, 1), 7]), (date.fromisoformat, int)) == (date(2026, 10, 1), 7)
    assert decode_keyset(encode_cursor([3, 2, 1]), (exactly(int),) * 3) == (3, 2, 1)
    assert decode_keyset(encode_cursor(["500000001"]), (exactly(str),)) == ("500000001",)


@pytest.mark.parametrize(
    ("cursor", "parsers"),
    [
        ("not a cursor", TIME_ID),  # not base64 of JSON
        (base64.urlsafe_b64encode(b'{"a": 1}').decode(), TIME_ID),  # JSON, not a list
        (encode_cursor(["2026-11-26T09:00:00+00:00"]), TIME_ID),  # a cursor of another list: fewer values
        (encode_cursor(["2026-11-26T09:00:00+00:00", 1, 2]), TIME_ID),  # more values
        (encode_cursor(["yesterday", 1]), TIME_ID),  # not a moment
        (encode_cursor([None, 1]), TIME_ID),  # not even a string
        (encode_cursor(["2026-11-26T09:00:00+00:00", "x"]), TIME_ID),  # not an id
        (encode_cursor(["7"]), (exactly(int),)),  # an id must stay a number where the list writes numbers
        (encode_cursor([7]), (exactly(str),)),  # an account number is a string
    ],
)
def test_anything_else_is_bad_input(cursor: str, parsers: tuple[Any, ...]) -> None:
    with pytest.raises(BadUserInputError) as refused:
        decode_keyset(cursor, parsers)

    assert refused.value.message == "Неверный курсор"
    assert refused.value.extensions == {"code": "BAD_USER_INPUT", "reason": "INVALID_INPUT"}

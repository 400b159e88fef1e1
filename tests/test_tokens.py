"""Access tokens are judged by the injected clock, not the wall clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from models.enums import Role
from services.auth_tokens import ACCESS_TOKEN_TTL, decode_access_token, issue_access_token

SECRET = "test-secret-0123456789abcdef0123456789"


def test_a_token_issued_in_the_future_of_the_wall_clock_is_valid_at_that_moment() -> None:
    later = datetime(2031, 1, 1, tzinfo=UTC)
    token, _ = issue_access_token(secret=SECRET, customer_id=7, role=Role.CUSTOMER, session_id=uuid.uuid4(), now=later)

    viewer = decode_access_token(secret=SECRET, token=token, now=later + timedelta(minutes=1))

    assert viewer is not None
    assert viewer.customer_id == 7


def test_a_token_expires_after_fifteen_minutes_by_the_injected_clock() -> None:
    issued = datetime(2026, 11, 26, 9, tzinfo=UTC)
    token, expires_at = issue_access_token(
        secret=SECRET, customer_id=7, role=Role.CUSTOMER, session_id=uuid.uuid4(), now=issued
    )

    assert expires_at - issued == ACCESS_TOKEN_TTL == timedelta(minutes=15)
    assert decode_access_token(secret=SECRET, token=token, now=expires_at - timedelta(seconds=1)) is not None
    assert decode_access_token(secret=SECRET, token=token, now=expires_at) is None


def test_a_forged_token_is_refused() -> None:
    now = datetime(2026, 11, 26, 9, tzinfo=UTC)
    token, _ = issue_access_token(secret=SECRET, customer_id=7, role=Role.ADMIN, session_id=uuid.uuid4(), now=now)

    assert decode_access_token(secret="another-secret-0123456789abcdef012345", token=token, now=now) is None
    assert decode_access_token(secret=SECRET, token=token + "x", now=now) is None

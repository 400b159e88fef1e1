"""Payments against a local ЮKassa (tests/support/yookassa.py)."""

from tests.support.yookassa import local_yookassa, yookassa

__all__ = ["local_yookassa", "yookassa"]

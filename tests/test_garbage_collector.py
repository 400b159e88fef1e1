"""A serving process collects young garbage less often than CPython's default (services/platform/bootstrap.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from services.platform.bootstrap import COLLECTION_THRESHOLDS, build_runtime
from services.platform.clock import SystemClock
from services.platform.database import Database
from services.platform.settings import Settings


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield before
    gc.set_threshold(*before)


def test_building_the_runtime_sets_the_collectors_thresholds(
    thresholds: tuple[int, int, int], database_url: str
) -> None:
    db = Database.from_url(database_url, pool_size=1)
    build_runtime(Settings(database_url=database_url), db, clock=SystemClock())

    assert gc.get_threshold() == COLLECTION_THRESHOLDS
    assert COLLECTION_THRESHOLDS[0] > 700  # young collections less often than CPython's default

"""Payments against a local ЮKassa (tests/support/yookassa.py), started once per test session on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from services.platform.runtime import Runtime
from tests.support.yookassa import SECRET_KEY, SHOP_ID, LocalYooKassa, serve_local_yookassa


@pytest_asyncio.fixture(scope="session")
async def local_yookassa() -> AsyncIterator[LocalYooKassa]:
    async with serve_local_yookassa() as server:
        yield server


@pytest.fixture
def yookassa(local_yookassa: LocalYooKassa, runtime: Runtime) -> LocalYooKassa:
    """The local ЮKassa, emptied, and the runtime configured to pay through it."""
    local_yookassa.reset()
    runtime.settings = runtime.settings.model_copy(
        update={
            "payment_provider": "yookassa",
            "yookassa_shop_id": SHOP_ID,
            "yookassa_secret_key": SECRET_KEY,
            "yookassa_api_url": local_yookassa.url,
        }
    )
    return local_yookassa

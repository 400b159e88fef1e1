"""A job's wake for tests of the background part (services/platform/background.py)."""

from __future__ import annotations

import asyncio


class AlwaysLive:
    """A wake that is listening and never notified: only the job's own pause ends a wait."""

    live = True

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def clear(self) -> None:
        return None

    async def wait(self, timeout: float) -> None:
        await asyncio.sleep(timeout)

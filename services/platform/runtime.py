"""The long-lived collaborators of one process, built once and handed to the app, the worker and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.platform.clock import Clock
from services.platform.database import Database
from services.platform.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    redis: Any | None = None  # redis.asyncio.Redis when REDIS_URL is set
    # Domain packages hang their process-wide helpers here (broker, gateways, storage, limiter) by name.
    extras: dict[str, Any] = field(default_factory=dict)

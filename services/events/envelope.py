"""An event as subscribers see it, and how it crosses process boundaries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    position: int  # publishing order; what a reconnecting subscriber resumes after
    type: str
    channels: tuple[str, ...]
    payload: dict[str, Any]
    created_at: datetime

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "position": self.position,
                "type": self.type,
                "channels": self.channels,
                "payload": self.payload,
                "created_at": self.created_at,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Event:
        data = orjson.loads(raw)
        return cls(
            id=int(data["id"]),
            position=int(data["position"]),
            type=str(data["type"]),
            channels=tuple(data["channels"]),
            payload=dict(data["payload"]),
            created_at=datetime.fromisoformat(data["created_at"]),
        )


class Gap:
    """Live delivery may have dropped events (a lost broker connection, a full queue): re-read them from the outbox."""


GAP = Gap()

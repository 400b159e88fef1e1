"""An event as stored and published: its outbox row's envelope, and how it crosses process boundaries.

The payload stays the stored JSON here; a subscription reads it as its kind's dataclass (`Event.read`).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import orjson

from services.events.kinds import DomainEvent

E = TypeVar("E", bound=DomainEvent)

# The columns of `outbox_event` an envelope is built from (by the relay and by replays alike).
COLUMNS = "id, position, type, channels, payload, created_at"


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    position: int  # publishing order; what a reconnecting subscriber resumes after
    type: str
    channels: tuple[str, ...]
    payload: dict[str, Any]
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Event:
        """From a row selected with `COLUMNS`."""
        return cls(
            id=row.id,
            position=row.position,
            type=row.type,
            channels=tuple(row.channels),
            payload=row.payload,
            created_at=row.created_at,
        )

    def read(self, kinds: Mapping[str, builtins.type[E]]) -> E | None:
        """The event as its kind's dataclass, if its type is one of `kinds` (by type name)."""
        kind = kinds.get(self.type)
        return kind.from_payload(self.payload) if kind is not None else None

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

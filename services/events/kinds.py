"""The contract of an event kind: one frozen dataclass per kind, declared in its domain's `events.py`.

A kind names its `type` (`<domain>.<what happened>`, stored in `outbox_event.type`), says which channels it is
addressed to, and turns into the stored payload and back. The payload's keys are the dataclass's field names
(snake_case), its values JSON: ints, strings, booleans, None, enum values, ISO 8601 times, UUIDs as strings and
tuples as lists. So a payload is
always written and read by the same declaration, and a new kind is one dataclass:

    @dataclass(frozen=True, slots=True)
    class StatementIssued(DomainEvent):
        type: ClassVar[str] = "statement.issued"
        statement_id: int
        account_id: int

        def channels(self) -> tuple[str, ...]:
            return (account_channel(self.account_id),)

written with `record_event(session, StatementIssued(...), now=now)` in the transaction of the change it reports.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Self


class UnreadablePayload(ValueError):
    """A stored payload that does not fit its kind's declaration."""


@dataclasses.dataclass(frozen=True, slots=True)
class DomainEvent:
    type: ClassVar[str]

    def channels(self) -> tuple[str, ...]:
        """Who listens: only subscribers of these channels receive the event (at least one)."""
        raise NotImplementedError

    def to_payload(self) -> dict[str, Any]:
        return {field.name: _encode(getattr(self, field.name)) for field in dataclasses.fields(self)}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        hints = _field_types(cls)
        values = {}
        for field in dataclasses.fields(cls):
            if field.name not in payload:
                raise UnreadablePayload(f"{cls.type}: no {field.name!r}")
            values[field.name] = _decode(hints[field.name], payload[field.name], where=f"{cls.type}.{field.name}")
        return cls(**values)


_FIELD_TYPES: dict[type[DomainEvent], dict[str, Any]] = {}


def _field_types(cls: type[DomainEvent]) -> dict[str, Any]:
    hints = _FIELD_TYPES.get(cls)
    if hints is None:
        hints = _FIELD_TYPES[cls] = typing.get_type_hints(cls)
    return hints


def _encode(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    return value


def _decode(kind: Any, value: object, *, where: str) -> object:
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        (kind,) = [option for option in options if option is not type(None)]
    if typing.get_origin(kind) is tuple:
        item_kind, etc = typing.get_args(kind)
        if etc is not Ellipsis or not isinstance(value, list):
            raise UnreadablePayload(f"{where}: {value!r} is not a list")
        return tuple(_decode(item_kind, item, where=where) for item in value)
    try:
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            return kind(value)
        if kind is datetime and isinstance(value, str):
            return datetime.fromisoformat(value)
        if kind is uuid.UUID and isinstance(value, str):
            return uuid.UUID(value)
        if kind in (int, str, bool) and type(value) is kind:
            return value
    except ValueError as error:
        raise UnreadablePayload(f"{where}: {error}") from None
    raise UnreadablePayload(f"{where}: {value!r} is not {kind}")

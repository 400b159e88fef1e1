"""Column helpers shared by the table models.

Enums are stored as short strings (not PostgreSQL enum types) so that adding a value is a code change, not a
migration that locks a table. Timestamps are always `timestamptz`; money is always integer kopecks (BIGINT).
"""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# Deterministic constraint names, so that Alembic migrations and the models compare equal.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now_default() -> Any:
    return sa.text("now()")


def id_field() -> Any:
    return Field(default=None, sa_type=sa.BigInteger, primary_key=True)


def fk(target: str, *, nullable: bool = False, index: bool = True, ondelete: str | None = None) -> Any:
    """A BIGINT foreign key; indexed by default since every relation here is also an access path."""
    kwargs: dict[str, Any] = {}
    if ondelete is not None:
        kwargs["ondelete"] = ondelete
    return Field(default=None, foreign_key=target, sa_type=sa.BigInteger, nullable=nullable, index=index, **kwargs)


def enum_field(enum_cls: type[enum.Enum], *, default: Any = None, nullable: bool = False, index: bool = False) -> Any:
    column_type = sa.Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
    kwargs: dict[str, Any] = {"sa_type": column_type, "nullable": nullable, "index": index}
    if default is not None:
        kwargs["default"] = default
    return Field(**kwargs)


def timestamp_field(*, nullable: bool = False, server_now: bool = False, index: bool = False) -> Any:
    kwargs: dict[str, Any] = {"sa_type": sa.DateTime(timezone=True), "nullable": nullable, "index": index}
    if server_now:
        kwargs["sa_column_kwargs"] = {"server_default": utc_now_default()}
        kwargs["default"] = None
    return Field(**kwargs)


def money_field(*, default: int | None = 0, nullable: bool = False) -> Any:
    """Integer kopecks. Never a float."""
    return Field(default=default, sa_type=sa.BigInteger, nullable=nullable)


def json_field(*, nullable: bool = True) -> Any:
    from sqlalchemy.dialects.postgresql import JSONB

    return Field(default=None, sa_type=JSONB, nullable=nullable)

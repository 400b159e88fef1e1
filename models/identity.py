"""Customers and staff, their sessions, one-time codes and rate-limit counters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_field, fk, id_field, json_field, timestamp_field
from models.enums import CodePurpose, Role


class Customer(SQLModel, table=True):
    """A portal user: a customer or a member of staff (by role)."""

    id: int | None = id_field()
    phone: str = Field(max_length=16, unique=True)  # E.164, +7XXXXXXXXXX
    email: str | None = Field(default=None, max_length=254)
    email_verified: bool = False
    password_hash: str
    role: Role = enum_field(Role, default=Role.CUSTOMER)
    full_name: str | None = Field(default=None, max_length=200)
    privacy_policy_accepted_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    # Bumped on password change/recovery so that access tokens issued before it stop working.
    password_changed_at: datetime | None = timestamp_field(nullable=True)


class AuthSession(SQLModel, table=True):
    """A sign-in: the family of refresh tokens rotated from one another."""

    __tablename__ = "auth_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    customer_id: int = fk("customer.id", ondelete="CASCADE")
    created_at: datetime = timestamp_field()
    last_used_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()
    revoked_at: datetime | None = timestamp_field(nullable=True)
    revoked_reason: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=400)
    ip: str | None = Field(default=None, max_length=64)


class RefreshToken(SQLModel, table=True):
    """One refresh token of a session; only its SHA-256 is stored. Rotated at every use."""

    __tablename__ = "refresh_token"

    id: int | None = id_field()
    session_id: uuid.UUID = Field(foreign_key="auth_session.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    issued_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()
    rotated_at: datetime | None = timestamp_field(nullable=True)
    # SHA-256 of the client (address and user agent) that rotated it: only that client gets the reuse grace.
    rotated_by: str | None = Field(default=None, max_length=64)


class OneTimeCode(SQLModel, table=True):
    """A challenge: a 6-digit code sent by SMS or email, stored hashed."""

    __tablename__ = "one_time_code"
    __table_args__ = (sa.Index("ix_one_time_code_phone_created", "phone", "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    purpose: CodePurpose = enum_field(CodePurpose)
    phone: str | None = Field(default=None, max_length=16)
    email: str | None = Field(default=None, max_length=254)
    customer_id: int | None = fk("customer.id", nullable=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=128)
    # What completing the challenge applies, e.g. the pending password hash of a registration.
    payload: dict[str, Any] | None = json_field()
    attempts: int = 0
    max_attempts: int = 5
    sends: int = 1
    created_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()
    resend_available_at: datetime = timestamp_field()
    consumed_at: datetime | None = timestamp_field(nullable=True)
    ip: str | None = Field(default=None, max_length=64)


class RateLimitCounter(SQLModel, table=True):
    """Fixed-window counters used when Redis is not configured."""

    __tablename__ = "rate_limit_counter"

    key: str = Field(primary_key=True, max_length=200)
    count: int = 0
    window_ends_at: datetime = timestamp_field(index=True)


class ServiceToken(SQLModel, table=True):
    """A token of an integration (billing, grid company, ИСУ head-end); only its SHA-256 is stored."""

    __tablename__ = "service_token"

    id: int | None = id_field()
    name: str = Field(max_length=100, unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    scopes: list[str] = Field(default_factory=list, sa_type=sa.ARRAY(sa.String(64)))
    created_at: datetime = timestamp_field()
    revoked_at: datetime | None = timestamp_field(nullable=True)

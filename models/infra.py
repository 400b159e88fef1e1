"""Plumbing tables: stored files, the event outbox and outbound SMS / email."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from models.base import enum_field, fk, id_field, json_field, timestamp_field
from models.enums import DeliveryStatus, FilePurpose, MessageChannel


class StoredFile(SQLModel, table=True):
    """A file in the storage (appeal attachments, contract applications, statement PDFs)."""

    __tablename__ = "stored_file"

    id: int | None = id_field()
    owner_id: int | None = fk("customer.id", nullable=True, ondelete="SET NULL")
    purpose: FilePurpose = enum_field(FilePurpose)
    storage_key: str = Field(max_length=200, unique=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(sa_type=sa.BigInteger)
    sha256: str = Field(max_length=64)
    created_at: datetime = timestamp_field()


class OutboxEvent(SQLModel, table=True):
    """An event written in the same transaction as the change it reports.

    `channels` names who may receive it (e.g. `account:17`, `customer:5`, `appeal:9`, `operators`). The relay gives
    each committed event a `position`, strictly increasing in the order events are numbered and published (ids
    are not: they are taken at insert and committed in any order). A subscriber that reconnects asks for the
    events after the last position it saw, so it cannot miss one that committed late.
    """

    __tablename__ = "outbox_event"
    __table_args__ = (
        sa.Index("ix_outbox_event_channels", "channels", postgresql_using="gin"),
        sa.Index("ix_outbox_event_unnumbered", "id", postgresql_where=sa.text("position IS NULL")),
        sa.Index("ix_outbox_event_unpublished", "position", postgresql_where=sa.text("published_at IS NULL")),
    )

    id: int | None = id_field()
    type: str = Field(max_length=64)
    channels: list[str] = Field(sa_type=ARRAY(sa.String(64)))
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    created_at: datetime = timestamp_field()
    position: int | None = Field(default=None, sa_type=sa.BigInteger, unique=True)
    published_at: datetime | None = timestamp_field(nullable=True)  # when the broker took it; None: to publish


class OutboundMessage(SQLModel, table=True):
    """An SMS or email queued in the business transaction and delivered by the dispatcher.

    An email about a statement (an e-receipt) keeps only a reference to it: its text, HTML, pay link and PDF are
    made when it is sent. One statement goes to one address once (the partial unique index), however often the
    period's close or the event handler runs.
    """

    __tablename__ = "outbound_message"
    __table_args__ = (
        sa.Index("ix_outbound_message_pending", "id", postgresql_where=sa.text("status = 'PENDING'")),
        sa.Index("ix_outbound_message_recipient_time", "recipient", "created_at"),
        sa.Index(
            "uq_outbound_message_statement_recipient",
            "statement_id",
            "recipient",
            unique=True,
            postgresql_where=sa.text("statement_id IS NOT NULL"),
        ),
    )

    id: int | None = id_field()
    channel: MessageChannel = enum_field(MessageChannel)
    sender: str = Field(max_length=100)
    recipient: str = Field(max_length=254)
    subject: str | None = Field(default=None, max_length=300)
    body: str = Field(sa_type=sa.Text)
    kind: str = Field(max_length=64)  # e.g. REGISTRATION_CODE, ACCOUNT_LINKED
    status: DeliveryStatus = enum_field(DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = timestamp_field()
    sent_at: datetime | None = timestamp_field(nullable=True)
    customer_id: int | None = fk("customer.id", nullable=True, ondelete="SET NULL")
    attachment_file_id: int | None = fk("stored_file.id", nullable=True, index=False)
    meta: dict[str, Any] | None = json_field()
    html_body: str | None = Field(default=None, sa_type=sa.Text)
    statement_id: int | None = fk("statement.id", nullable=True, index=False, ondelete="CASCADE")


class EventConsumer(SQLModel, table=True):
    """How far a background handler has read the outbox (by publishing position): it resumes after it."""

    __tablename__ = "event_consumer"

    name: str = Field(primary_key=True, max_length=64)
    position: int = Field(default=0, sa_type=sa.BigInteger)
    updated_at: datetime = timestamp_field()

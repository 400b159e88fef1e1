"""Appeals (обращения): a chat between a customer and operators, with attachments."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_field, fk, id_field, timestamp_field
from models.enums import AppealStatus, AppealTargetKind, AppealTopic, Role


class Appeal(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_appeal_customer_topic_activity", "customer_id", "topic", "last_message_at"),
        # The operators' inbox: open appeals ordered by how long they have waited.
        sa.Index("ix_appeal_status_waiting", "status", "waiting_since"),
    )

    id: int | None = id_field()
    customer_id: int = fk("customer.id", index=False, ondelete="CASCADE")
    target_kind: AppealTargetKind = enum_field(AppealTargetKind)
    account_id: int | None = fk("personal_account.id", nullable=True, ondelete="SET NULL")
    contract_id: int | None = fk("contract.id", nullable=True, ondelete="SET NULL")
    tech_connection_id: int | None = fk("tech_connection.id", nullable=True, ondelete="SET NULL")
    target_number: str = Field(max_length=64)  # as shown: the account/contract/request number or what was typed
    topic: AppealTopic = enum_field(AppealTopic)
    status: AppealStatus = enum_field(AppealStatus, default=AppealStatus.OPEN)
    assigned_operator_id: int | None = fk("customer.id", nullable=True)
    created_at: datetime = timestamp_field()
    last_message_at: datetime = timestamp_field()
    waiting_since: datetime | None = timestamp_field(nullable=True)  # set while the customer awaits an answer
    closed_at: datetime | None = timestamp_field(nullable=True)
    customer_read_up_to: int = Field(default=0, sa_type=sa.BigInteger)  # last message id the customer has read
    operator_read_up_to: int = Field(default=0, sa_type=sa.BigInteger)


class AppealMessage(SQLModel, table=True):
    __tablename__ = "appeal_message"
    __table_args__ = (sa.Index("ix_appeal_message_appeal_id", "appeal_id", "id"),)

    id: int | None = id_field()
    appeal_id: int = fk("appeal.id", index=False, ondelete="CASCADE")
    author_id: int = fk("customer.id", index=False)
    author_role: Role = enum_field(Role)
    text: str = Field(sa_type=sa.Text)
    created_at: datetime = timestamp_field()


class AppealAttachment(SQLModel, table=True):
    __tablename__ = "appeal_attachment"

    id: int | None = id_field()
    message_id: int = fk("appeal_message.id", ondelete="CASCADE")
    file_id: int = fk("stored_file.id")

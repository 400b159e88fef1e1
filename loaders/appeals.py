"""Appeals, their messages, attachments and unread counts: one statement per relation for all parents of a request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import col, select

from loaders.base import Loader, by_key, grouped
from loaders.pages import after_keyset, first_per_parent, table_of
from models import Appeal, AppealAttachment, AppealMessage
from models.enums import AppealStatus, AppealTopic, Role
from models.infra import StoredFile

APPEAL = table_of(Appeal)
MESSAGE = table_of(AppealMessage)


class AppealById(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        return by_key(ids, await self.rows(sa.select(*APPEAL.c).where(APPEAL.c.id.in_(ids))), "id")


class AppealMessageById(Loader[int, Any]):
    """A message with its appeal's owner (who may see it is decided by the appeal)."""

    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        rows = await self.rows(
            sa.select(*MESSAGE.c, APPEAL.c.customer_id)
            .select_from(MESSAGE.join(APPEAL, APPEAL.c.id == MESSAGE.c.appeal_id))
            .where(MESSAGE.c.id.in_(ids))
        )
        return by_key(ids, rows, "id")


@dataclass(frozen=True, slots=True)
class Page:
    """A page of a per-parent list: `first` rows after the keyset `after`, with the list's filters."""

    first: int
    after: tuple[Hashable, ...] | None = None
    topic: AppealTopic | None = None
    status: AppealStatus | None = None


PageKey = tuple[int, Page]


class _Pages(Loader[PageKey, list[Any]]):
    """Keys of one tick sharing their page arguments are answered by one statement (rows carry `parent`)."""

    async def batch_load_fn(self, keys: list[PageKey]) -> list[list[Any]]:
        parents_by_page: defaultdict[Page, list[int]] = defaultdict(list)
        for parent, page in keys:
            parents_by_page[page].append(parent)
        found: dict[PageKey, list[Any]] = {}
        for page, parents in parents_by_page.items():
            for row in await self.rows(self.statement(parents, page)):
                found.setdefault((row.parent, page), []).append(row)
        return [found.get(key, []) for key in keys]

    def statement(self, parents: Sequence[int], page: Page) -> Select[Any]:
        raise NotImplementedError


class MessagePagesByAppeal(_Pages):
    """The chat in the order it was written (oldest first); the cursor is the message id."""

    def statement(self, parents: Sequence[int], page: Page) -> Select[Any]:
        statement = sa.select(*MESSAGE.c).where(MESSAGE.c.appeal_id.in_(parents))
        if page.after is not None:
            statement = statement.where(MESSAGE.c.id > sa.literal(page.after[0]))
        return first_per_parent(statement, parent=MESSAGE.c.appeal_id, order_by=[MESSAGE.c.id], limit=page.first + 1)


class AppealPagesOfCustomer(_Pages):
    """A customer's appeals, latest activity first; the cursor is (last_message_at, id)."""

    def statement(self, parents: Sequence[int], page: Page) -> Select[Any]:
        order = (APPEAL.c.last_message_at, APPEAL.c.id)
        statement = sa.select(*APPEAL.c).where(APPEAL.c.customer_id.in_(parents), after_keyset(order, page.after))
        if page.topic is not None:
            statement = statement.where(APPEAL.c.topic == page.topic)
        if page.status is not None:
            statement = statement.where(APPEAL.c.status == page.status)
        return first_per_parent(
            statement, parent=APPEAL.c.customer_id, order_by=[c.desc() for c in order], limit=page.first + 1
        )


def _unread(for_staff: bool) -> sa.ColumnElement[bool]:
    """Messages of the other side after the reader's watermark."""
    if for_staff:
        return sa.and_(MESSAGE.c.author_role == Role.CUSTOMER, MESSAGE.c.id > APPEAL.c.operator_read_up_to)
    return sa.and_(MESSAGE.c.author_role != Role.CUSTOMER, MESSAGE.c.id > APPEAL.c.customer_read_up_to)


@dataclass(frozen=True, slots=True)
class Unread:
    by_customer: int  # operators' messages the customer has not read
    by_operators: int  # the customer's messages no operator has read


class UnreadByAppeal(Loader[int, Unread]):
    async def batch_load_fn(self, ids: list[int]) -> list[Unread]:
        rows = await self.rows(
            sa.select(
                MESSAGE.c.appeal_id,
                sa.func.count().filter(_unread(False)).label("by_customer"),
                sa.func.count().filter(_unread(True)).label("by_operators"),
            )
            .select_from(MESSAGE.join(APPEAL, APPEAL.c.id == MESSAGE.c.appeal_id))
            .where(MESSAGE.c.appeal_id.in_(ids))
            .group_by(MESSAGE.c.appeal_id)
        )
        found = {row.appeal_id: Unread(row.by_customer, row.by_operators) for row in rows}
        return [found.get(appeal_id, Unread(0, 0)) for appeal_id in ids]


class LastMessageByAppeal(Loader[int, Any]):
    async def batch_load_fn(self, ids: list[int]) -> list[Any]:
        rows = await self.rows(
            sa.select(*MESSAGE.c)
            .where(MESSAGE.c.appeal_id.in_(ids))
            .ext(distinct_on(MESSAGE.c.appeal_id))
            .order_by(MESSAGE.c.appeal_id, MESSAGE.c.id.desc())
        )
        return by_key(ids, rows, "appeal_id")


class AttachmentsByMessage(Loader[int, list[StoredFile]]):
    async def batch_load_fn(self, message_ids: list[int]) -> list[list[StoredFile]]:
        rows = await self.entity_rows(
            select(StoredFile, AppealAttachment.message_id)
            .join(AppealAttachment, col(AppealAttachment.file_id) == StoredFile.id)
            .where(col(AppealAttachment.message_id).in_(message_ids))
            .order_by(col(AppealAttachment.id))
        )
        groups = grouped(message_ids, rows, "message_id")
        return [[row[0] for row in group] for group in groups]


TopicKey = tuple[int, bool]  # (customer id, counted for staff)


class TopicGroupsOfCustomer(Loader[TopicKey, list[Any]]):
    """Per topic of a customer's appeals: how many, how many unread messages, the latest activity."""

    async def batch_load_fn(self, keys: list[TopicKey]) -> list[list[Any]]:
        found: dict[TopicKey, list[Any]] = {}
        for for_staff in {side for _, side in keys}:
            customer_ids = [customer for customer, side in keys if side is for_staff]
            unread = (
                sa.select(sa.func.count())
                .select_from(MESSAGE)
                .where(MESSAGE.c.appeal_id == APPEAL.c.id, _unread(for_staff))
                .scalar_subquery()
            )
            rows = await self.rows(
                sa.select(
                    APPEAL.c.customer_id,
                    APPEAL.c.topic,
                    sa.func.count().label("appeals"),
                    sa.func.count().filter(APPEAL.c.status != AppealStatus.CLOSED).label("open_appeals"),
                    sa.func.coalesce(sa.func.sum(unread), 0).label("unread"),
                    sa.func.max(APPEAL.c.last_message_at).label("last_activity"),
                )
                .where(APPEAL.c.customer_id.in_(customer_ids))
                .group_by(APPEAL.c.customer_id, APPEAL.c.topic)
            )
            for customer_id, group in zip(customer_ids, grouped(customer_ids, rows, "customer_id"), strict=True):
                found[(customer_id, for_staff)] = group
        return [found[key] for key in keys]

"""The chat of an appeal: opening it, writing to it, reading it and closing it.

Status: OPEN (the first message awaits an answer) → ANSWERED (an operator replied) ↔ AWAITING_OPERATOR (the customer
wrote again) → CLOSED, which takes no more messages. `waiting_since` is set while the customer awaits an answer: the
operators' inbox is ordered by it. Whoever writes has read the chat up to their own message.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Appeal, AppealAttachment, AppealMessage, Customer
from models.enums import AppealStatus, AppealTopic, Role
from services.appeals import events
from services.appeals.drafts import Draft, checked_draft, store_files
from services.appeals.events import InboxChange
from services.appeals.targets import TargetChoice, normalized_number, resolve_target
from services.errors import DomainError, ErrorCode
from services.files.uploads import UploadSource
from services.platform.runtime import Runtime

STAFF_WRITERS = frozenset({Role.OPERATOR, Role.ADMIN})
APPEAL_FIELD = ("input", "appealId")


@dataclass(frozen=True, slots=True)
class Author:
    """Who acts: a customer on their own appeals, or an operator (or admin) on any."""

    customer_id: int
    role: Role

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_WRITERS


@dataclass(frozen=True, slots=True)
class Posted:
    appeal: Appeal
    message: AppealMessage


def appeal_not_found() -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, "Обращение не найдено", *APPEAL_FIELD)


def appeal_closed() -> DomainError:
    return DomainError.single(
        ErrorCode.APPEAL_CLOSED, "Обращение закрыто. Чтобы продолжить, создайте новое обращение", *APPEAL_FIELD
    )


def status_after_message(status: AppealStatus, *, by_staff: bool) -> AppealStatus:
    if status is AppealStatus.CLOSED:
        raise appeal_closed()
    if by_staff:
        return AppealStatus.ANSWERED
    return AppealStatus.AWAITING_OPERATOR if status is AppealStatus.ANSWERED else status


async def locked_appeal(session: AsyncSession, *, appeal_id: int, by: Author) -> Appeal:
    """The appeal, locked for this unit of work, if `by` may act on it; another customer's is a missing one."""
    if by.role is not Role.CUSTOMER and not by.is_staff:
        raise appeal_not_found()  # analysts only read; the API refuses them before this
    appeal = (await session.exec(select(Appeal).where(Appeal.id == appeal_id).with_for_update())).first()
    if appeal is None or (not by.is_staff and appeal.customer_id != by.customer_id):
        raise appeal_not_found()
    return appeal


async def _add_message(
    session: AsyncSession, stack: AsyncExitStack, runtime: Runtime, *, appeal: Appeal, author: Author, draft: Draft
) -> AppealMessage:
    now = runtime.clock.now()
    assert appeal.id is not None
    files = await store_files(stack, session, runtime.file_storage, draft=draft, owner_id=appeal.customer_id, now=now)
    message = AppealMessage(
        appeal_id=appeal.id, author_id=author.customer_id, author_role=author.role, text=draft.text, created_at=now
    )
    session.add(message)
    await session.flush()
    assert message.id is not None
    for stored in files:
        assert stored.id is not None
        session.add(AppealAttachment(message_id=message.id, file_id=stored.id))
    appeal.last_message_at = now
    if author.is_staff:
        appeal.operator_read_up_to = message.id
        appeal.waiting_since = None
        if appeal.assigned_operator_id is None:
            appeal.assigned_operator_id = author.customer_id  # who answers an unassigned appeal takes it
    else:
        appeal.customer_read_up_to = message.id
        if appeal.waiting_since is None:
            appeal.waiting_since = now
    session.add(appeal)
    return message


async def create_appeal(
    runtime: Runtime,
    *,
    customer_id: int,
    target: TargetChoice,
    topic: AppealTopic,
    text: str,
    attachments: Sequence[UploadSource],
) -> Posted:
    if target.number is not None:
        normalized_number(target.number)  # refuse a malformed number before reading any file
    draft = await checked_draft(text=text, attachments=attachments)
    now = runtime.clock.now()
    author = Author(customer_id=customer_id, role=Role.CUSTOMER)
    async with runtime.db.session() as session, AsyncExitStack() as stack:
        customer = await session.get(Customer, customer_id)
        assert customer is not None
        resolved = await resolve_target(session, customer=customer, choice=target)
        appeal = Appeal(
            customer_id=customer_id,
            target_kind=resolved.kind,
            account_id=resolved.account_id,
            contract_id=resolved.contract_id,
            tech_connection_id=resolved.tech_connection_id,
            target_number=resolved.number,
            topic=topic,
            status=AppealStatus.OPEN,
            created_at=now,
            last_message_at=now,
            waiting_since=now,
        )
        session.add(appeal)
        await session.flush()
        message = await _add_message(session, stack, runtime, appeal=appeal, author=author, draft=draft)
        events.message_added(session, appeal, message, change=InboxChange.NEW_APPEAL, now=now)
        await session.commit()
    return Posted(appeal=appeal, message=message)


async def post_message(
    runtime: Runtime, *, appeal_id: int, author: Author, text: str, attachments: Sequence[UploadSource]
) -> Posted:
    draft = await checked_draft(text=text, attachments=attachments)
    now = runtime.clock.now()
    async with runtime.db.session() as session, AsyncExitStack() as stack:
        appeal = await locked_appeal(session, appeal_id=appeal_id, by=author)
        appeal.status = status_after_message(appeal.status, by_staff=author.is_staff)
        message = await _add_message(session, stack, runtime, appeal=appeal, author=author, draft=draft)
        change = InboxChange.OPERATOR_REPLY if author.is_staff else InboxChange.CUSTOMER_MESSAGE
        events.message_added(session, appeal, message, change=change, now=now)
        await session.commit()
    return Posted(appeal=appeal, message=message)


async def close_appeal(runtime: Runtime, *, appeal_id: int, by: Author) -> Appeal:
    """The customer (the question is settled) or an operator closes the appeal; it takes no more messages."""
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        appeal = await locked_appeal(session, appeal_id=appeal_id, by=by)
        if appeal.status is AppealStatus.CLOSED:
            raise DomainError.single(ErrorCode.APPEAL_CLOSED, "Обращение уже закрыто", *APPEAL_FIELD)
        appeal.status = AppealStatus.CLOSED
        appeal.closed_at = now
        appeal.waiting_since = None
        session.add(appeal)
        events.appeal_changed(session, appeal, change=InboxChange.CLOSED, now=now)
        await session.commit()
    return appeal


async def mark_read(runtime: Runtime, *, appeal_id: int, by: Author) -> Appeal:
    """Everything written so far is read by `by`'s side (the customer, or the operators); no event: nothing moved."""
    async with runtime.db.session() as session:
        appeal = await locked_appeal(session, appeal_id=appeal_id, by=by)
        last = (
            await session.exec(select(func.max(col(AppealMessage.id))).where(AppealMessage.appeal_id == appeal_id))
        ).one()
        if last is not None:
            if by.is_staff:
                appeal.operator_read_up_to = max(appeal.operator_read_up_to, last)
            else:
                appeal.customer_read_up_to = max(appeal.customer_read_up_to, last)
            session.add(appeal)
            await session.commit()
    return appeal

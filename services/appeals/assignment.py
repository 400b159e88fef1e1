"""Operators share the inbox: an appeal is assigned to one of them (or taken by whoever answers it first)."""

from __future__ import annotations

from models import Appeal, Customer
from models.enums import AppealStatus
from services.appeals import events
from services.appeals.conversation import STAFF_WRITERS, Author, appeal_closed, appeal_not_found, locked_appeal
from services.appeals.events import InboxChange
from services.errors import DomainError, ErrorCode
from services.platform.runtime import Runtime


def operator_not_found() -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, "Сотрудник не найден: выберите оператора", "input", "operatorId")


async def assign_appeal(runtime: Runtime, *, appeal_id: int, operator_id: int, by: Author) -> Appeal:
    """Assign to `operator_id` (an operator or admin); assigning to whom it is assigned already changes nothing."""
    if not by.is_staff:
        raise appeal_not_found()  # only operators and admins assign; the API refuses others before this
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        operator = await session.get(Customer, operator_id)
        if operator is None or operator.role not in STAFF_WRITERS:
            raise operator_not_found()
        appeal = await locked_appeal(session, appeal_id=appeal_id, by=by)
        if appeal.status is AppealStatus.CLOSED:
            raise appeal_closed()
        if appeal.assigned_operator_id != operator_id:
            appeal.assigned_operator_id = operator_id
            session.add(appeal)
            events.appeal_changed(session, appeal, change=InboxChange.ASSIGNED, now=now)
            await session.commit()
    return appeal

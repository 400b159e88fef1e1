"""assign_appeal checks its actor itself: only an operator or an admin assigns, even a customer's own appeal."""

from __future__ import annotations

import pytest

from models import Appeal
from models.enums import Role
from services.appeals.assignment import assign_appeal
from services.appeals.conversation import Author
from services.errors import DomainError, ErrorCode
from services.platform.runtime import Runtime
from tests.support.appeals import conversation_people, open_appeal


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.CUSTOMER, False), (Role.ANALYST, False), (Role.OPERATOR, True), (Role.ADMIN, True)],
)
async def test_only_staff_writers_assign(runtime: Runtime, role: Role, allowed: bool) -> None:
    # given: the customer's own appeal; the actor is the customer themself unless staff
    people = await conversation_people(runtime)
    posted = await open_appeal(runtime, people.customer, people.account)
    assert posted.appeal.id is not None
    assert people.customer.id is not None
    assert people.operator.id is not None
    actor = people.operator.id if role in {Role.OPERATOR, Role.ADMIN} else people.customer.id
    by = Author(customer_id=actor, role=role)

    # when
    if allowed:
        await assign_appeal(runtime, appeal_id=posted.appeal.id, operator_id=people.operator.id, by=by)
    else:
        with pytest.raises(DomainError) as refused:
            await assign_appeal(runtime, appeal_id=posted.appeal.id, operator_id=people.operator.id, by=by)
        assert refused.value.problems[0].code is ErrorCode.NOT_FOUND

    # then
    async with runtime.db.session() as session:
        appeal = await session.get(Appeal, posted.appeal.id)
        assert appeal is not None
        await session.refresh(appeal)
    assert appeal.assigned_operator_id == (people.operator.id if allowed else None)

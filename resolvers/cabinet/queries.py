"""Staff's way into the cabinet: accounts by number."""

from __future__ import annotations

import strawberry
from strawberry import relay

from schema.cabinet.account import PersonalAccount
from schema.core.context import Info
from schema.core.errors import BadUserInputError
from schema.core.pagination import decode_cursor, make_connection, page_size
from schema.core.permissions import IsStaffReader
from services.cabinet.search import find_accounts
from services.errors import ErrorCode


def _after_number(after: str | None) -> str | None:
    values = decode_cursor(after)
    if values is None:
        return None
    if len(values) != 1 or not isinstance(values[0], str):
        raise BadUserInputError("Неверный курсор", ErrorCode.INVALID_INPUT)
    return values[0]


@strawberry.type
class CabinetQuery:
    @strawberry.field(
        permission_classes=[IsStaffReader],
        description="Staff only: personal accounts whose number starts with `number` (1-9 digits), in number order.",
    )
    async def accounts(
        self, info: Info, number: str | None = None, first: int | None = None, after: str | None = None
    ) -> relay.Connection[PersonalAccount]:
        if number is not None and not (number.isdigit() and len(number) <= 9):
            raise BadUserInputError("Номер лицевого счёта — до 9 цифр", ErrorCode.INVALID_INPUT)
        size = page_size(first)
        models = await find_accounts(
            db=info.context.db, number_prefix=number, after_number=_after_number(after), limit=size + 1
        )
        return make_connection(
            models,
            first=size,
            to_node=PersonalAccount.from_model,
            cursor_of=lambda model: [model.number],
            has_previous=after is not None,
        )

"""Creating members of staff (the `create-staff` command): the same phone and password rules as customers."""

from __future__ import annotations

from models.enums import Role
from models.identity import Customer
from services.errors import DomainError, ErrorCode
from services.identity.codes import phone_is_registered
from services.identity.passwords import password_problems
from services.identity.registration import PHONE_TAKEN_MESSAGE, parse_phone
from services.platform.clock import Clock
from services.platform.database import Database
from services.platform.hashing import hash_password

STAFF_ROLES = (Role.OPERATOR, Role.ANALYST, Role.ADMIN)


async def create_staff_member(
    *, db: Database, clock: Clock, phone: str, role: str, password: str, full_name: str | None
) -> int:
    normalized = parse_phone(phone, "phone")
    if role not in {r.value for r in STAFF_ROLES}:
        raise DomainError.single(ErrorCode.INVALID_INPUT, f"Роль сотрудника: {', '.join(STAFF_ROLES)}", "role")
    problems = password_problems(password, None, field="password", confirmation_field="password")
    if problems:
        raise DomainError(problems)
    now = clock.now()
    async with db.session() as session:
        if await phone_is_registered(session, normalized):
            raise DomainError.single(ErrorCode.PHONE_ALREADY_REGISTERED, PHONE_TAKEN_MESSAGE, "phone")
        member = Customer(
            phone=normalized,
            password_hash=hash_password(password),
            role=Role(role),
            full_name=full_name,
            created_at=now,
            updated_at=now,
        )
        session.add(member)
        await session.commit()
    assert member.id is not None
    return member.id

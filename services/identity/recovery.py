"""Password recovery by an SMS code. The answer to "send a code" is the same whether or not the phone is registered."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import CodePurpose
from models.identity import Customer, OneTimeCode
from services.errors import DomainError
from services.identity.codes import check_sends_allowed, issue_challenge, redeem_code
from services.identity.passwords import password_problems
from services.identity.registration import parse_phone
from services.identity.sessions import ClientInfo, IssuedSession, revoke_sessions, start_session
from services.platform.database import run
from services.platform.hashing import hash_password
from services.platform.runtime import Runtime


async def start_password_recovery(runtime: Runtime, *, phone: str, client: ClientInfo) -> OneTimeCode:
    normalized = parse_phone(phone, "input", "phone")
    now = runtime.clock.now()
    await check_sends_allowed(runtime, ip=client.ip, to=normalized, now=now)
    async with runtime.db.session() as session:
        customer_id = (
            await run(session, sa.select(col(Customer.id)).where(col(Customer.phone) == normalized))
        ).scalar_one_or_none()
        challenge = await issue_challenge(
            session,
            runtime,
            purpose=CodePurpose.PASSWORD_RECOVERY,
            now=now,
            ip=client.ip,
            phone=normalized,
            customer_id=customer_id,
            deliver=customer_id is not None,
        )
        await session.commit()
    return challenge


async def complete_password_recovery(
    runtime: Runtime,
    *,
    challenge_id: str,
    code: str,
    new_password: str,
    new_password_confirmation: str,
    client: ClientInfo,
) -> tuple[IssuedSession, list[uuid.UUID]]:
    """Set the new password, end every session of the customer and sign in anew; (new session, revoked ids)."""
    problems = password_problems(
        new_password, new_password_confirmation, field="newPassword", confirmation_field="newPasswordConfirmation"
    )
    if problems:
        raise DomainError(problems)
    password_hash = hash_password(new_password)
    revoked: list[uuid.UUID] = []

    async def set_password(session: AsyncSession, challenge: OneTimeCode, now: datetime) -> IssuedSession:
        customer = await session.get(Customer, challenge.customer_id) if challenge.customer_id is not None else None
        assert customer is not None  # a challenge for an unknown phone has no code that matches
        customer.password_hash = password_hash
        customer.password_changed_at = now
        customer.updated_at = now
        assert customer.id is not None
        revoked.extend(await revoke_sessions(session, customer_id=customer.id, now=now, reason="password_recovered"))
        return await start_session(session, runtime, customer=customer, client=client, now=now)

    issued = await redeem_code(
        runtime,
        challenge_id=challenge_id,
        code=code,
        purpose=CodePurpose.PASSWORD_RECOVERY,
        customer_id=None,
        ip=client.ip,
        apply=set_password,
    )
    return issued, revoked

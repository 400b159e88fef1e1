"""Profile changes of the signed-in customer: phone (SMS code to the new number), email (code by email), password."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import CodePurpose
from models.identity import Customer, OneTimeCode
from services.errors import DomainError, ErrorCode, Problem
from services.identity.codes import check_sends_allowed, issue_challenge, local_time, phone_is_registered, redeem_code
from services.identity.contacts import normalize_email
from services.identity.passwords import password_problems
from services.identity.registration import (
    PHONE_TAKEN_MESSAGE,
    flush_unless_phone_taken,
    parse_phone,
)
from services.identity.sessions import ClientInfo, revoke_sessions
from services.messaging.outbound import queue_sms
from services.platform.hashing import hash_password, verify_password
from services.platform.runtime import Runtime

# Someone holding a stolen access token must not guess the current password online.
CURRENT_PASSWORD_FAILURES = 5
CURRENT_PASSWORD_WINDOW = timedelta(minutes=15)
CURRENT_PASSWORD_LOCK = timedelta(minutes=15)


async def _customer(session: AsyncSession, customer_id: int) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise DomainError.single(ErrorCode.NOT_FOUND, "Учётная запись не найдена")
    return customer


async def start_phone_change(runtime: Runtime, *, customer_id: int, new_phone: str, client: ClientInfo) -> OneTimeCode:
    phone = parse_phone(new_phone, "input", "newPhone")
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        customer = await _customer(session, customer_id)
        if customer.phone == phone:
            raise DomainError.single(ErrorCode.SAME_AS_CURRENT, "Это ваш текущий номер", "input", "newPhone")
    await check_sends_allowed(runtime, ip=client.ip, to=phone, now=now)
    async with runtime.db.session() as session:
        # Another customer's phone answers like a free one (see registration); its owner gets the notice, not a code.
        registered = await phone_is_registered(session, phone)
        challenge = await issue_challenge(
            session,
            runtime,
            purpose=CodePurpose.PHONE_CHANGE,
            now=now,
            ip=client.ip,
            phone=phone,
            customer_id=customer_id,
            phone_registered=registered,
        )
        await session.commit()
    return challenge


async def confirm_phone_change(
    runtime: Runtime, *, customer_id: int, challenge_id: str, code: str, client: ClientInfo
) -> Customer:
    async def change_phone(session: AsyncSession, challenge: OneTimeCode, now: datetime) -> Customer:
        assert challenge.phone is not None
        if await phone_is_registered(session, challenge.phone):
            raise DomainError.single(ErrorCode.PHONE_ALREADY_REGISTERED, PHONE_TAKEN_MESSAGE, "input", "challengeId")
        customer = await _customer(session, customer_id)
        old_phone = customer.phone
        customer.phone = challenge.phone
        customer.updated_at = now
        await flush_unless_phone_taken(session, "input", "challengeId")
        # The old number hears of it: if someone else did this, its owner learns at once.
        queue_sms(
            session,
            to=old_phone,
            text="Номер телефона вашего личного кабинета изменён. Если это были не вы, обратитесь в ТГК-2 Энергосбыт.",
            kind="PHONE_CHANGED",
            sender=runtime.settings.sms_sender,
            now=now,
            customer_id=customer.id,
        )
        return customer

    return await redeem_code(
        runtime,
        challenge_id=challenge_id,
        code=code,
        purpose=CodePurpose.PHONE_CHANGE,
        customer_id=customer_id,
        ip=client.ip,
        apply=change_phone,
    )


async def start_email_change(runtime: Runtime, *, customer_id: int, new_email: str, client: ClientInfo) -> OneTimeCode:
    email = normalize_email(new_email)
    if email is None:
        raise DomainError.single(
            ErrorCode.INVALID_EMAIL, "Введите адрес электронной почты, например ivanov@mail.ru", "input", "newEmail"
        )
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        customer = await _customer(session, customer_id)
        if customer.email is not None and customer.email.lower() == email.lower() and customer.email_verified:
            raise DomainError.single(ErrorCode.SAME_AS_CURRENT, "Это ваш текущий адрес", "input", "newEmail")
    await check_sends_allowed(runtime, ip=client.ip, to=email, now=now)
    async with runtime.db.session() as session:
        challenge = await issue_challenge(
            session,
            runtime,
            purpose=CodePurpose.EMAIL_CHANGE,
            now=now,
            ip=client.ip,
            email=email,
            customer_id=customer_id,
        )
        await session.commit()
    return challenge


async def confirm_email_change(
    runtime: Runtime, *, customer_id: int, challenge_id: str, code: str, client: ClientInfo
) -> Customer:
    async def change_email(session: AsyncSession, challenge: OneTimeCode, now: datetime) -> Customer:
        customer = await _customer(session, customer_id)
        customer.email = challenge.email
        customer.email_verified = True
        customer.updated_at = now
        return customer

    return await redeem_code(
        runtime,
        challenge_id=challenge_id,
        code=code,
        purpose=CodePurpose.EMAIL_CHANGE,
        customer_id=customer_id,
        ip=client.ip,
        apply=change_email,
    )


def _password_checks_locked(until: datetime) -> DomainError:
    return DomainError.single(
        ErrorCode.TEMPORARILY_LOCKED,
        f"Слишком много неверных попыток ввода текущего пароля. Попробуйте снова после {local_time(until)}",
        "input",
        "currentPassword",
    )


async def change_password(
    runtime: Runtime,
    *,
    customer_id: int,
    current_session_id: uuid.UUID,
    current_password: str,
    new_password: str,
    new_password_confirmation: str,
) -> tuple[Customer, list[uuid.UUID]]:
    """Set a new password and end every other session; (customer, revoked session ids)."""
    problems: list[Problem] = password_problems(
        new_password, new_password_confirmation, field="newPassword", confirmation_field="newPasswordConfirmation"
    )
    now = runtime.clock.now()
    limiter = runtime.rate_limiter
    lock_key, failures_key = f"password-check:customer:{customer_id}", f"password-check-fail:customer:{customer_id}"
    locked = await limiter.locked_until(lock_key, now=now)
    if locked is not None:
        raise _password_checks_locked(locked)
    # Counted before the check (a right password clears it), so that concurrent guesses cannot all slip through.
    attempts = await limiter.hit(failures_key, window=CURRENT_PASSWORD_WINDOW, now=now)
    async with runtime.db.session() as session:
        customer = await _customer(session, customer_id)
    if attempts > CURRENT_PASSWORD_FAILURES or not verify_password(customer.password_hash, current_password):
        if attempts >= CURRENT_PASSWORD_FAILURES:
            until = now + CURRENT_PASSWORD_LOCK
            await limiter.lock(lock_key, until=until, now=now)
            raise _password_checks_locked(until)
        problems.insert(
            0, Problem(ErrorCode.INVALID_CREDENTIALS, "Текущий пароль указан неверно", ("input", "currentPassword"))
        )
    else:
        await limiter.clear(failures_key, window=CURRENT_PASSWORD_WINDOW, now=now)
    if problems:
        raise DomainError(problems)
    password_hash = hash_password(new_password)
    async with runtime.db.session() as session:
        customer = await _customer(session, customer_id)
        customer.password_hash = password_hash
        customer.password_changed_at = now
        customer.updated_at = now
        revoked = await revoke_sessions(
            session, customer_id=customer_id, now=now, reason="password_changed", keep=current_session_id
        )
        await session.commit()
    return customer, revoked

"""One-time codes: 6 digits sent by SMS (or email), stored as an HMAC, 10 minutes, 5 tries, resend after 60 s.

A challenge (`OneTimeCode`) is what the client holds between "send me a code" and "here is the code"; completing it
applies what its purpose and payload say, in the same transaction that consumes it.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import CodePurpose
from models.identity import Customer, OneTimeCode
from services.errors import DomainError, ErrorCode
from services.identity.limits import window_bounds
from services.messaging.outbound import queue_email, queue_sms
from services.platform.clock import LOCAL_TZ
from services.platform.database import run
from services.platform.hashing import constant_time_equals, keyed_hash
from services.platform.runtime import Runtime

CODE_TTL = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
MAX_ATTEMPTS = 5
SENDS_PER_DAY = 10  # to one phone or email, per day of the limiter (fixed UTC days)
SEND_DAY = timedelta(days=1)
SENDS_PER_ADDRESS = 30  # per hour, from one client address
SEND_WINDOW = timedelta(hours=1)
FAILED_CHECKS_PER_ADDRESS = 50  # per hour, across challenges
CHECK_WINDOW = timedelta(hours=1)

T = TypeVar("T")

_SMS_TEXT = {
    CodePurpose.REGISTRATION: (
        "REGISTRATION_CODE",
        "Код для регистрации в личном кабинете: {code}. Никому его не сообщайте.",
    ),
    CodePurpose.PASSWORD_RECOVERY: (
        "PASSWORD_RECOVERY_CODE",
        "Код для восстановления доступа к личному кабинету: {code}. Никому его не сообщайте.",
    ),
    CodePurpose.PHONE_CHANGE: ("PHONE_CHANGE_CODE", "Код для подтверждения нового номера в личном кабинете: {code}."),
}
EMAIL_CHANGE_KIND = "EMAIL_CHANGE_CODE"
CODE_KINDS = frozenset({kind for kind, _ in _SMS_TEXT.values()} | {EMAIL_CHANGE_KIND})

# Sent instead of a code when registration or a phone change names a phone that already has a cabinet: the person
# asking learns nothing (the answer is the same as for a free phone), the phone's owner learns how to get back in.
PHONE_REGISTERED_KIND = "PHONE_ALREADY_REGISTERED_NOTICE"
PHONE_REGISTERED_TEXT = (
    "Этот номер уже зарегистрирован в личном кабинете ТГК-2 Энергосбыт. Войдите с паролем или восстановите доступ: "
    "«Забыли пароль?» на странице входа. Если вы ничего не запрашивали, не отвечайте на это сообщение."
)


async def phone_is_registered(session: AsyncSession, phone: str) -> bool:
    found = await run(session, sa.select(col(Customer.id)).where(col(Customer.phone) == phone))
    return found.first() is not None


def code_hash(secret: str, challenge_id: uuid.UUID, code: str) -> str:
    return keyed_hash(secret, f"{challenge_id}:{code}")


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def local_time(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M")


def _invalid_code() -> DomainError:
    return DomainError.single(ErrorCode.INVALID_CODE, "Неверный код. Проверьте код из сообщения", "input", "code")


async def check_sends_allowed(runtime: Runtime, *, ip: str, to: str, now: datetime) -> None:
    """Count this code send (own unit of work) and refuse it over the limits: `SENDS_PER_ADDRESS` an hour from one
    client address, `SENDS_PER_DAY` a day to one phone or email `to` (in any letter case). Call it before each send."""
    limiter = runtime.rate_limiter
    if await limiter.hit(f"code-send:ip:{ip}", window=SEND_WINDOW, now=now) > SENDS_PER_ADDRESS:
        raise DomainError.single(
            ErrorCode.TOO_MANY_ATTEMPTS, "Слишком много запросов кода с вашего адреса. Попробуйте через час"
        )
    # Counted when each code goes out (resends too) in one atomic step: neither a resend on an old challenge nor
    # concurrent requests get past the cap.
    if await limiter.hit(f"code-send:to:{to.lower()}", window=SEND_DAY, now=now) > SENDS_PER_DAY:
        raise DomainError.single(ErrorCode.TOO_MANY_ATTEMPTS, "Превышено число кодов за сутки. Попробуйте завтра")


def _queue_code(session: AsyncSession, runtime: Runtime, challenge: OneTimeCode, code: str, *, now: datetime) -> None:
    settings = runtime.settings
    if challenge.purpose is CodePurpose.EMAIL_CHANGE:
        assert challenge.email is not None
        queue_email(
            session,
            to=challenge.email,
            subject="Подтверждение адреса электронной почты",
            text=(
                f"Код для подтверждения адреса электронной почты в личном кабинете: {code}.\n"
                "Код действует 10 минут. Если вы не меняли адрес, не отвечайте на это письмо."
            ),
            kind=EMAIL_CHANGE_KIND,
            sender=settings.email_sender,
            now=now,
            customer_id=challenge.customer_id,
            secret=True,
        )
        return
    assert challenge.phone is not None
    kind, text = _SMS_TEXT[challenge.purpose]
    queue_sms(
        session,
        to=challenge.phone,
        text=text.format(code=code),
        kind=kind,
        sender=settings.sms_sender,
        now=now,
        customer_id=challenge.customer_id,
        secret=True,
    )


def _queue_registered_notice(session: AsyncSession, runtime: Runtime, challenge: OneTimeCode, *, now: datetime) -> None:
    assert challenge.phone is not None
    queue_sms(
        session,
        to=challenge.phone,
        text=PHONE_REGISTERED_TEXT,
        kind=PHONE_REGISTERED_KIND,
        sender=runtime.settings.sms_sender,
        now=now,
    )


async def issue_challenge(
    session: AsyncSession,
    runtime: Runtime,
    *,
    purpose: CodePurpose,
    now: datetime,
    ip: str,
    phone: str | None = None,
    email: str | None = None,
    customer_id: int | None = None,
    payload: dict[str, Any] | None = None,
    deliver: bool = True,
    phone_registered: bool = False,
) -> OneTimeCode:
    """A new challenge with its code queued for delivery in the caller's transaction, once `check_sends_allowed` let
    the send through.

    `deliver=False` (recovery for an unknown phone) stores a challenge no code can complete and sends nothing, so the
    answer looks the same as for a registered phone. `phone_registered=True` (registration or a phone change naming
    a phone that has a cabinet) stores such a challenge too and sends the phone the "already registered" notice.
    """
    deliver = deliver and not phone_registered
    challenge_id = uuid.uuid4()
    code = new_code() if deliver else secrets.token_urlsafe(24)
    challenge = OneTimeCode(
        id=challenge_id,
        purpose=purpose,
        phone=phone,
        email=email,
        customer_id=customer_id,
        code_hash=code_hash(runtime.settings.secret_key, challenge_id, code),
        payload=payload,
        max_attempts=MAX_ATTEMPTS,
        created_at=now,
        expires_at=now + CODE_TTL,
        resend_available_at=now + RESEND_AFTER,
        ip=ip[:64],
    )
    session.add(challenge)
    if deliver:
        _queue_code(session, runtime, challenge, code, now=now)
    elif phone_registered:
        _queue_registered_notice(session, runtime, challenge, now=now)
    return challenge


def _parse_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


async def _find_challenge(
    session: AsyncSession, raw_id: str, *, purposes: tuple[CodePurpose, ...] | None, customer_id: int | None
) -> OneTimeCode | None:
    challenge_id = _parse_id(raw_id)
    if challenge_id is None:
        return None
    statement = sa.select(OneTimeCode).where(OneTimeCode.id == challenge_id).with_for_update()  # type: ignore[arg-type]
    challenge: OneTimeCode | None = (await run(session, statement)).scalar_one_or_none()
    if challenge is None or challenge.consumed_at is not None:
        return None
    if purposes is not None and challenge.purpose not in purposes:
        return None
    # A profile-change challenge belongs to the customer who started it; to anyone else it does not exist.
    if (
        challenge.purpose in (CodePurpose.PHONE_CHANGE, CodePurpose.EMAIL_CHANGE)
        and challenge.customer_id != customer_id
    ):
        return None
    return challenge


def _check_resend_due(challenge: OneTimeCode, now: datetime) -> None:
    if now < challenge.resend_available_at:
        seconds = int((challenge.resend_available_at - now).total_seconds()) + 1
        raise DomainError.single(
            ErrorCode.RESEND_TOO_EARLY, f"Новый код можно запросить через {seconds} с", "input", "challengeId"
        )


async def resend_code(runtime: Runtime, *, challenge_id: str, customer_id: int | None, ip: str) -> OneTimeCode:
    """A new code on the same challenge, 60 s after the last and within the daily cap; fresh 10 minutes and 5 tries."""
    now = runtime.clock.now()
    not_found = DomainError.single(
        ErrorCode.NOT_FOUND, "Запрос кода не найден или уже выполнен. Начните заново", "input", "challengeId"
    )
    async with runtime.db.session() as session:
        challenge = await _find_challenge(session, challenge_id, purposes=None, customer_id=customer_id)
        # A day-old challenge is an abandoned one: resending would keep one challenge alive for good.
        if challenge is None or challenge.created_at <= now - SEND_DAY:
            raise not_found
        _check_resend_due(challenge, now)
        recipient = challenge.phone or challenge.email
        assert recipient is not None
    await check_sends_allowed(runtime, ip=ip, to=recipient, now=now)
    async with runtime.db.session() as session:
        challenge = await _find_challenge(session, challenge_id, purposes=None, customer_id=customer_id)
        if challenge is None:
            raise not_found
        _check_resend_due(challenge, now)  # again under the row lock: a concurrent resend may have just sent one
        registered = False
        if challenge.purpose in (CodePurpose.REGISTRATION, CodePurpose.PHONE_CHANGE):
            assert challenge.phone is not None
            registered = await phone_is_registered(session, challenge.phone)
        deliver = not registered and (
            challenge.purpose is not CodePurpose.PASSWORD_RECOVERY or challenge.customer_id is not None
        )
        code = new_code() if deliver else secrets.token_urlsafe(24)
        challenge.code_hash = code_hash(runtime.settings.secret_key, challenge.id, code)
        challenge.attempts = 0
        challenge.sends += 1
        challenge.expires_at = now + CODE_TTL
        challenge.resend_available_at = now + RESEND_AFTER
        if deliver:
            _queue_code(session, runtime, challenge, code, now=now)
        elif registered:
            _queue_registered_notice(session, runtime, challenge, now=now)
        await session.commit()
    return challenge


async def redeem_code(
    runtime: Runtime,
    *,
    challenge_id: str,
    code: str,
    purpose: CodePurpose,
    customer_id: int | None,
    ip: str,
    apply: Callable[[AsyncSession, OneTimeCode, datetime], Awaitable[T]],
) -> T:
    """Check the code and, when it is right, run `apply` and consume the challenge in one transaction.

    A wrong code costs one of the challenge's tries (kept although the answer is an error) and counts against the
    client's address; after the last try the challenge is dead until a new code is sent.
    """
    now = runtime.clock.now()
    limiter = runtime.rate_limiter
    locked = await limiter.locked_until(f"code-check:ip:{ip}", now=now)
    if locked is not None:
        raise DomainError.single(
            ErrorCode.TOO_MANY_ATTEMPTS, f"Слишком много неверных кодов. Попробуйте после {local_time(locked)}"
        )
    failure: DomainError
    async with runtime.db.session() as session:
        challenge = await _find_challenge(session, challenge_id, purposes=(purpose,), customer_id=customer_id)
        if challenge is None:
            raise _invalid_code()
        if challenge.attempts >= challenge.max_attempts:
            raise DomainError.single(
                ErrorCode.TOO_MANY_ATTEMPTS, "Исчерпаны попытки ввода кода. Запросите новый код", "input", "code"
            )
        if challenge.expires_at <= now:
            raise DomainError.single(
                ErrorCode.CODE_EXPIRED, "Срок действия кода истёк. Запросите новый код", "input", "code"
            )
        expected = code_hash(runtime.settings.secret_key, challenge.id, code.strip())
        if constant_time_equals(expected, challenge.code_hash):
            result = await apply(session, challenge, now)
            challenge.consumed_at = now
            await session.commit()
            return result
        challenge.attempts += 1
        left = challenge.max_attempts - challenge.attempts
        await session.commit()
        if left > 0:
            failure = DomainError.single(
                ErrorCode.INVALID_CODE, f"Неверный код. Осталось попыток: {left}", "input", "code"
            )
        else:
            failure = DomainError.single(
                ErrorCode.TOO_MANY_ATTEMPTS, "Исчерпаны попытки ввода кода. Запросите новый код", "input", "code"
            )
    failed = await limiter.hit(f"code-check:ip:{ip}", window=CHECK_WINDOW, now=now)
    if failed >= FAILED_CHECKS_PER_ADDRESS:
        _, ends = window_bounds(now, CHECK_WINDOW)
        await limiter.lock(f"code-check:ip:{ip}", until=ends, now=now)
    raise failure

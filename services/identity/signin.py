"""Signing in by phone and password, with lockouts against guessing.

Five failed sign-ins for a phone within 15 minutes lock that phone for 15 minutes; 30 failures from one client
address within an hour lock the address until the hour ends. An unknown phone fails exactly like a wrong password
(and costs the same argon2 work), so sign-in does not tell which phones are registered.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa

from models.identity import Customer
from services.errors import DomainError, ErrorCode
from services.identity.codes import local_time
from services.identity.limits import RateLimiter, window_bounds
from services.identity.registration import parse_phone
from services.identity.sessions import ClientInfo, IssuedSession, start_session
from services.platform.database import run
from services.platform.hashing import hash_password, password_needs_rehash, verify_password
from services.platform.runtime import Runtime

PHONE_FAILURES = 5
PHONE_WINDOW = timedelta(minutes=15)
PHONE_LOCK = timedelta(minutes=15)
ADDRESS_FAILURES = 30
ADDRESS_WINDOW = timedelta(hours=1)


@cache
def _decoy_hash() -> str:
    return hash_password("decoy-password-for-unknown-phones-1")


def _locked(until: datetime) -> DomainError:
    return DomainError.single(
        ErrorCode.TEMPORARILY_LOCKED,
        f"Слишком много неудачных попыток входа. Попробуйте снова после {local_time(until)}",
    )


async def _lock(
    limiter: RateLimiter, *, phone: str, ip: str, phone_attempts: int, address_attempts: int, now: datetime
) -> datetime | None:
    """Lock the phone and the address whose attempts reached their limit; until when, if either was locked."""
    until = None
    if phone_attempts >= PHONE_FAILURES:
        until = now + PHONE_LOCK
        await limiter.lock(f"signin:phone:{phone}", until=until, now=now)
    if address_attempts >= ADDRESS_FAILURES:
        _, address_until = window_bounds(now, ADDRESS_WINDOW)
        await limiter.lock(f"signin:ip:{ip}", until=address_until, now=now)
        until = max(until or address_until, address_until)
    return until


async def _verified_customer(runtime: Runtime, *, phone: str, password: str) -> Customer | None:
    async with runtime.db.session() as session:
        customer: Customer | None = (
            await run(session, sa.select(Customer).where(Customer.phone == phone))  # type: ignore[arg-type]
        ).scalar_one_or_none()
    password_hash = customer.password_hash if customer is not None else _decoy_hash()
    # Checked for an unknown phone too, so that the answer takes as long as for a registered one.
    verified = verify_password(password_hash, password)
    return customer if verified else None


async def sign_in(runtime: Runtime, *, phone: str, password: str, client: ClientInfo) -> IssuedSession:
    normalized = parse_phone(phone, "input", "phone")
    now = runtime.clock.now()
    limiter = runtime.rate_limiter
    for key in (f"signin:phone:{normalized}", f"signin:ip:{client.ip}"):
        until = await limiter.locked_until(key, now=now)
        if until is not None:
            raise _locked(until)
    # Every attempt counts before its password is checked (a success takes its count back): concurrent guesses
    # would all pass a limit on failures counted afterwards.
    phone_attempts = await limiter.hit(f"signin-fail:phone:{normalized}", window=PHONE_WINDOW, now=now)
    address_attempts = await limiter.hit(f"signin-fail:ip:{client.ip}", window=ADDRESS_WINDOW, now=now)
    customer = None
    if phone_attempts <= PHONE_FAILURES and address_attempts <= ADDRESS_FAILURES:
        customer = await _verified_customer(runtime, phone=normalized, password=password)
    if customer is None:
        locked_until = await _lock(
            limiter,
            phone=normalized,
            ip=client.ip,
            phone_attempts=phone_attempts,
            address_attempts=address_attempts,
            now=now,
        )
        if locked_until is not None:
            raise _locked(locked_until)
        raise DomainError.single(ErrorCode.INVALID_CREDENTIALS, "Неверный номер телефона или пароль")
    await limiter.clear(f"signin-fail:phone:{normalized}", window=PHONE_WINDOW, now=now)
    await limiter.undo_hit(f"signin-fail:ip:{client.ip}", window=ADDRESS_WINDOW, now=now)
    async with runtime.db.session() as session:
        customer = await session.get(Customer, customer.id)
        assert customer is not None
        if password_needs_rehash(customer.password_hash):
            customer.password_hash = hash_password(password)
            customer.updated_at = now
        issued = await start_session(session, runtime, customer=customer, client=client, now=now)
        await session.commit()
    return issued

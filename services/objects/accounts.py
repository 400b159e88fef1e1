"""Linking personal accounts by the activation code of a receipt, and unlinking them.

Numbers cannot be probed: an unknown number and a wrong code get the same answer, and the lock counts failures per
typed number (for an existing account that is the same as per account), so five wrong tries lock a made-up number
exactly as they lock a real one. Only someone holding a real code for the number learns more: ACTIVATION_CODE_EXPIRED.
Besides the lock per number, one customer gets at most `MAX_FAILURES_PER_CUSTOMER` wrong tries an hour over all
numbers, so codes cannot be guessed across many accounts either.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.identity import Customer
from models.objects import AccountLink, ActivationAttempt, ActivationCode, PersonalAccount
from services.errors import DomainError, ErrorCode
from services.identity.codes import local_time
from services.objects import notices
from services.platform.database import run
from services.platform.hashing import hash_activation_code, normalize_activation_code
from services.platform.runtime import Runtime

LOCK_WINDOW = timedelta(hours=1)
LOCK_DURATION = timedelta(hours=1)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_CUSTOMER = 20
_ACCOUNT_NUMBER = re.compile(r"\d{9}")

_WRONG_MESSAGE = "Неверный номер лицевого счёта или код активации. Проверьте их по квитанции"


def parse_account_number(raw: str, *field: str) -> str:
    number = "".join(raw.split())
    if not (number.isascii() and _ACCOUNT_NUMBER.fullmatch(number)):
        raise DomainError.single(
            ErrorCode.INVALID_ACCOUNT_NUMBER, "Номер лицевого счёта — 9 цифр, как в квитанции", *field
        )
    return number


def _locked_until(failure_times: list[datetime], *, limit: int, now: datetime) -> datetime | None:
    """`failure_times`: the newest failures, newest first (at least `limit` of them if there are).

    `limit` failures within `LOCK_WINDOW` lock for `LOCK_DURATION` after the last of them. Refused tries are not
    recorded, so the newest failure is the one that set the lock.
    """
    if len(failure_times) < limit:
        return None
    newest, oldest = failure_times[0], failure_times[limit - 1]
    if newest - oldest >= LOCK_WINDOW:
        return None
    until = newest + LOCK_DURATION
    return until if until > now else None


async def _recent_failures(
    session: AsyncSession, condition: sa.ColumnElement[bool], *, limit: int, now: datetime
) -> list[datetime]:
    statement = (
        select(ActivationAttempt.attempted_at)
        .where(condition, col(ActivationAttempt.succeeded).is_(False))
        .where(col(ActivationAttempt.attempted_at) > now - LOCK_WINDOW - LOCK_DURATION)
        .order_by(col(ActivationAttempt.attempted_at).desc())
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def _check_not_locked(session: AsyncSession, *, number: str, customer_id: int, now: datetime) -> None:
    by_number = await _recent_failures(
        session, col(ActivationAttempt.number) == number, limit=MAX_FAILURES_PER_ACCOUNT, now=now
    )
    by_customer = await _recent_failures(
        session, col(ActivationAttempt.customer_id) == customer_id, limit=MAX_FAILURES_PER_CUSTOMER, now=now
    )
    locks = [
        until
        for until in (
            _locked_until(by_number, limit=MAX_FAILURES_PER_ACCOUNT, now=now),
            _locked_until(by_customer, limit=MAX_FAILURES_PER_CUSTOMER, now=now),
        )
        if until is not None
    ]
    if locks:
        until = max(locks)
        raise DomainError.single(
            ErrorCode.TOO_MANY_ATTEMPTS,
            f"Слишком много неверных попыток. Попробуйте снова после {local_time(until)} (мск)",
        )


async def _code_state(session: AsyncSession, *, account_id: int, code: str, now: datetime) -> bool | None:
    """True: a valid code of the account; False: its code, but expired; None: not a code of the account."""
    expiries = (
        await session.exec(
            select(ActivationCode.expires_at).where(
                ActivationCode.account_id == account_id, ActivationCode.code_hash == hash_activation_code(code)
            )
        )
    ).all()
    if not expiries:
        return None
    return any(expires_at > now for expires_at in expiries)


async def link_personal_account(
    runtime: Runtime, *, customer_id: int, number: str, activation_code: str
) -> PersonalAccount:
    """Link the account to the customer (a family may link one account several times, one link each)."""
    now = runtime.clock.now()
    number = parse_account_number(number, "input", "number")
    code = normalize_activation_code(activation_code)
    if not code:
        raise DomainError.single(
            ErrorCode.INVALID_INPUT, "Введите код активации: он напечатан в квитанции над QR-кодом", "input",
            "activationCode",
        )  # fmt: skip
    async with runtime.db.session() as session:
        # Concurrent tries by one customer, and on one number, take turns, so neither limit can be outrun by
        # parallel requests. Always customer first, then number: no two requests wait for each other in a circle.
        for key in (f"activation-customer:{customer_id}", f"activation:{number}"):
            await run(session, sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        await _check_not_locked(session, number=number, customer_id=customer_id, now=now)
        customer = await session.get(Customer, customer_id)
        assert customer is not None, "a signed-in customer exists"
        account = (await session.exec(select(PersonalAccount).where(PersonalAccount.number == number))).first()
        if account is not None:
            assert account.id is not None
            mine = await session.exec(
                select(AccountLink.id).where(
                    AccountLink.customer_id == customer_id, AccountLink.account_id == account.id
                )
            )
            if mine.first() is not None:
                raise DomainError.single(
                    ErrorCode.ALREADY_LINKED, "Этот лицевой счёт уже добавлен в ваш личный кабинет", "input", "number"
                )
        state = None if account is None else await _code_state(session, account_id=account.id or 0, code=code, now=now)
        if state is None:
            session.add(
                ActivationAttempt(
                    account_id=account.id if account else None,
                    customer_id=customer_id,
                    number=number,
                    succeeded=False,
                    attempted_at=now,
                )
            )
            # The failure must count even though the answer is an error (which rolls back what is not committed).
            await session.commit()
            raise DomainError.single(ErrorCode.ACCOUNT_OR_CODE_INVALID, _WRONG_MESSAGE, "input", "activationCode")
        assert account is not None
        assert account.id is not None
        if state is False:
            raise DomainError.single(
                ErrorCode.ACTIVATION_CODE_EXPIRED,
                "Срок действия кода активации истёк (3 месяца). Возьмите код из последней квитанции",
                "input",
                "activationCode",
            )
        session.add(AccountLink(customer_id=customer_id, account_id=account.id, linked_at=now))
        session.add(
            ActivationAttempt(
                account_id=account.id, customer_id=customer_id, number=number, succeeded=True, attempted_at=now
            )
        )
        notices.account_linked(session, runtime.settings, customer, number=number, now=now)
        await session.commit()
        return account


def account_not_found() -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, "Лицевой счёт не найден среди ваших", "input", "accountId")


async def unlink_personal_account(runtime: Runtime, *, customer_id: int, account_id: int) -> None:
    """Remove the customer's own link; the account and other family members' links stay."""
    async with runtime.db.session() as session:
        result = await run(
            session,
            sa.delete(AccountLink).where(
                col(AccountLink.customer_id) == customer_id, col(AccountLink.account_id) == account_id
            ),
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise account_not_found()
        await session.commit()

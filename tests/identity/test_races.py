"""Identity under concurrent requests, on a committed database where each request has a connection of its own.

Where the outcome depends on the order the requests meet in PostgreSQL, a third transaction holds the row (or the
unique key) they need until both are waiting for it, so every run shows the same interleaving.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlmodel import col

from models.enums import CodePurpose
from models.identity import Customer, OneTimeCode
from services.errors import DomainError, ErrorCode
from services.identity import signin
from services.identity.codes import CODE_TTL, RESEND_AFTER, code_hash
from services.identity.profile import confirm_phone_change
from services.identity.recovery import start_password_recovery
from services.identity.registration import confirm_registration
from services.identity.sessions import ClientInfo, IssuedSession, RefreshTokenReused, refresh_session
from services.platform.clock import FrozenClock
from services.platform.database import Database, run
from services.platform.hashing import verify_password
from services.platform.runtime import Runtime
from services.platform.settings import Settings
from tests.support.factories import DEFAULT_PASSWORD, create_customer, unique_phone
from tests.support.identity import sign_in_as
from tests.support.processes import committed_database

CODE = "314159"
T = TypeVar("T")


@pytest_asyncio.fixture(scope="module")
async def committed_db(server_url: str) -> AsyncIterator[Database]:
    """One committed database for the module (tests keep apart by their own phones and client addresses)."""
    async with committed_database(server_url) as db:
        yield db


@pytest.fixture
def committed(committed_db: Database, settings: Settings, clock: FrozenClock) -> Runtime:
    return Runtime(settings=settings, db=committed_db, clock=clock)


def a_client() -> ClientInfo:
    return ClientInfo(ip=f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}")


async def outcomes(*calls: Awaitable[T]) -> list[T | BaseException]:
    return list(await asyncio.gather(*calls, return_exceptions=True))


def codes_of(results: Sequence[Any]) -> list[str | None]:
    """The error code of each result (None for a success), in a stable order."""
    codes = [result.problems[0].code.value if isinstance(result, DomainError) else None for result in results]
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, DomainError):
            raise result
    return sorted(codes, key=lambda code: (code is not None, code or ""))


async def waiting_for_locks(db: Database, count: int) -> None:
    """Return once `count` statements of this database wait for a lock."""
    statement = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(1000):
        async with db.session() as session:
            if (await run(session, statement)).scalar_one() >= count:
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} statements never waited for a lock")


@asynccontextmanager
async def holding(db: Database, statement: sa.Executable, params: dict[str, Any]) -> AsyncIterator[None]:
    """Run `statement` in a transaction left open until the block ends, then roll it back."""
    async with db.connection() as connection:
        transaction = await connection.begin()
        await connection.execute(statement, params)
        try:
            yield
        finally:
            await transaction.rollback()


async def challenge_for(
    runtime: Runtime, *, purpose: CodePurpose, phone: str, customer_id: int | None = None, payload: dict[str, Any]
) -> str:
    """A challenge whose code is `CODE`, as if it had just been sent."""
    now = runtime.clock.now()
    challenge_id = uuid.uuid4()
    async with runtime.db.session() as session:
        session.add(
            OneTimeCode(
                id=challenge_id,
                purpose=purpose,
                phone=phone,
                customer_id=customer_id,
                code_hash=code_hash(runtime.settings.secret_key, challenge_id, CODE),
                payload=payload,
                created_at=now,
                expires_at=now + CODE_TTL,
                resend_available_at=now + RESEND_AFTER,
            )
        )
        await session.commit()
    return str(challenge_id)


async def customers_with_phone(runtime: Runtime, phone: str) -> list[int]:
    async with runtime.db.session() as session:
        found = await run(session, sa.select(col(Customer.id)).where(col(Customer.phone) == phone))
        return list(found.scalars())


# ---------------------------------------------------------------- sessions


async def test_two_refreshes_with_one_token_at_once_count_as_reuse(committed: Runtime, clock: FrozenClock) -> None:
    # given: both refreshes, from two clients (a copy of the token is elsewhere: the reuse grace is one client's),
    # wait for the family's row, which another transaction holds
    customer = await create_customer(committed.db, now=clock.now())
    issued = await sign_in_as(committed, customer)
    lock_family = sa.text("SELECT 1 FROM auth_session WHERE id = :id FOR UPDATE")
    async with holding(committed.db, lock_family, {"id": issued.session_id}):
        both = asyncio.gather(
            refresh_session(committed, refresh_token=issued.refresh_token, client=a_client()),
            refresh_session(committed, refresh_token=issued.refresh_token, client=a_client()),
            return_exceptions=True,
        )
        await waiting_for_locks(committed.db, 2)

    # when
    results = await both

    # then: the second sees the token spent by the first, and the whole family ends
    assert codes_of(results) == [None, "INVALID_REFRESH_TOKEN"]
    assert any(isinstance(result, RefreshTokenReused) for result in results)
    winner = next(result for result in results if isinstance(result, IssuedSession))
    with pytest.raises(DomainError) as refused:
        await refresh_session(committed, refresh_token=winner.refresh_token, client=a_client())
    assert refused.value.problems[0].code is ErrorCode.INVALID_REFRESH_TOKEN


# ---------------------------------------------------------------- sign-in lockouts


@pytest.fixture
def verified_passwords(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords sign-in actually checked against a hash."""
    checked: list[str] = []

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password)
        return verify_password(password_hash, password)

    monkeypatch.setattr(signin, "verify_password", counting)
    return checked


async def test_a_burst_of_wrong_sign_ins_checks_no_more_passwords_than_the_phone_limit(
    committed: Runtime, clock: FrozenClock, verified_passwords: list[str]
) -> None:
    # given
    customer = await create_customer(committed.db, now=clock.now())
    client = a_client()

    # when: ten guesses at once
    results = await outcomes(
        *(
            signin.sign_in(committed, phone=customer.phone, password=f"Guess{number}pass", client=client)
            for number in range(10)
        )
    )

    # then: five were checked (the fifth failure locks), the rest refused unchecked
    assert len(verified_passwords) == signin.PHONE_FAILURES
    assert codes_of(results) == ["INVALID_CREDENTIALS"] * 4 + ["TEMPORARILY_LOCKED"] * 6
    with pytest.raises(DomainError) as locked:
        await signin.sign_in(committed, phone=customer.phone, password=DEFAULT_PASSWORD, client=a_client())
    assert locked.value.problems[0].code is ErrorCode.TEMPORARILY_LOCKED


async def test_a_burst_of_wrong_sign_ins_from_one_address_checks_no_more_than_its_limit(
    committed: Runtime, clock: FrozenClock, verified_passwords: list[str]
) -> None:
    # given: the address has 3 failures left this hour
    client = a_client()
    for _ in range(signin.ADDRESS_FAILURES - 3):
        await committed.rate_limiter.hit(f"signin-fail:ip:{client.ip}", window=signin.ADDRESS_WINDOW, now=clock.now())

    # when: eight guesses at once, each at another phone
    results = await outcomes(
        *(signin.sign_in(committed, phone=unique_phone(), password="Guess2026pass", client=client) for _ in range(8))
    )

    # then
    assert len(verified_passwords) == 3
    assert codes_of(results) == ["INVALID_CREDENTIALS"] * 2 + ["TEMPORARILY_LOCKED"] * 6


# ---------------------------------------------------------------- codes


async def test_codes_requested_at_once_stay_within_the_daily_cap(committed: Runtime, clock: FrozenClock) -> None:
    # given: nine codes went to the phone today
    customer = await create_customer(committed.db, now=clock.now())
    for _ in range(9):
        await start_password_recovery(committed, phone=customer.phone, client=a_client())

    # when: five more requests at once
    results = await outcomes(
        *(start_password_recovery(committed, phone=customer.phone, client=a_client()) for _ in range(5))
    )

    # then
    assert codes_of(results) == [None] + ["TOO_MANY_ATTEMPTS"] * 4
    async with committed.db.session() as session:
        sent = await run(
            session,
            sa.select(sa.func.sum(OneTimeCode.sends)).where(OneTimeCode.phone == customer.phone),  # type: ignore[arg-type]
        )
        assert sent.scalar_one() == 10


# ---------------------------------------------------------------- one phone, two customers at the same moment


def someone_taking(phone: str, now: datetime) -> tuple[sa.Executable, dict[str, Any]]:
    """Another customer's registration with `phone`, in flight: it holds the phone's unique key."""
    statement = sa.text(
        "INSERT INTO customer (phone, email_verified, password_hash, role, created_at, updated_at) "
        "VALUES (:phone, false, 'x', 'CUSTOMER', :now, :now)"
    )
    return statement, {"phone": phone, "now": now}


async def test_two_registrations_of_one_phone_at_once_give_one_customer(committed: Runtime, clock: FrozenClock) -> None:
    # given: two confirmations of the same phone wait for a registration in flight, which then fails
    phone = unique_phone()
    payload = {"password_hash": "x", "privacy_policy_accepted_at": clock.now().isoformat()}
    first = await challenge_for(committed, purpose=CodePurpose.REGISTRATION, phone=phone, payload=payload)
    second = await challenge_for(committed, purpose=CodePurpose.REGISTRATION, phone=phone, payload=payload)
    async with holding(committed.db, *someone_taking(phone, clock.now())):
        both = asyncio.gather(
            confirm_registration(committed, challenge_id=first, code=CODE, client=a_client()),
            confirm_registration(committed, challenge_id=second, code=CODE, client=a_client()),
            return_exceptions=True,
        )
        await waiting_for_locks(committed.db, 2)

    # when
    results = await both

    # then
    assert codes_of(results) == [None, "PHONE_ALREADY_REGISTERED"]
    assert len(await customers_with_phone(committed, phone)) == 1


async def test_two_customers_changing_to_one_phone_at_once_get_it_once(committed: Runtime, clock: FrozenClock) -> None:
    # given: both changes wait for a registration of the phone in flight, which then fails
    phone = unique_phone()
    changes = []
    for _ in range(2):
        customer = await create_customer(committed.db, now=clock.now())
        assert customer.id is not None
        challenge_id = await challenge_for(
            committed, purpose=CodePurpose.PHONE_CHANGE, phone=phone, customer_id=customer.id, payload={}
        )
        changes.append((customer.id, challenge_id))
    async with holding(committed.db, *someone_taking(phone, clock.now())):
        both = asyncio.gather(
            *(
                confirm_phone_change(
                    committed, customer_id=customer_id, challenge_id=challenge_id, code=CODE, client=a_client()
                )
                for customer_id, challenge_id in changes
            ),
            return_exceptions=True,
        )
        await waiting_for_locks(committed.db, 2)

    # when
    results = await both

    # then
    assert codes_of(results) == [None, "PHONE_ALREADY_REGISTERED"]
    assert len(await customers_with_phone(committed, phone)) == 1

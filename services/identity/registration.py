"""Registration by phone: the password and consent are checked first, then an SMS code confirms the phone.

A phone that already has a cabinet gets the same answer, in the same time, after the same rate limits as a free one
(152-ФЗ art. 19: whether a person is a customer is theirs to keep); only the phone itself hears that it is registered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import CodePurpose, Role
from models.identity import Customer, OneTimeCode
from services.errors import DomainError, ErrorCode, Problem
from services.identity.codes import check_sends_allowed, issue_challenge, phone_is_registered, redeem_code
from services.identity.contacts import normalize_phone
from services.identity.passwords import password_problems
from services.identity.sessions import ClientInfo, IssuedSession, start_session
from services.platform.hashing import hash_password
from services.platform.runtime import Runtime

INVALID_PHONE_MESSAGE = "Введите номер мобильного телефона в формате +7-999-999-99-99"
PHONE_TAKEN_MESSAGE = "Этот номер уже зарегистрирован. Войдите или восстановите пароль"
_UNIQUE_PHONE = "uq_customer_phone"


async def flush_unless_phone_taken(session: AsyncSession, *field: str) -> None:
    """Flush a customer's new phone; PHONE_ALREADY_REGISTERED when another customer took it at the same moment
    (after `phone_is_registered` said it was free, only the unique constraint tells)."""
    try:
        await session.flush()
    except IntegrityError as error:
        if getattr(error.driver_exception, "constraint_name", None) != _UNIQUE_PHONE:
            raise
        raise DomainError.single(ErrorCode.PHONE_ALREADY_REGISTERED, PHONE_TAKEN_MESSAGE, *field) from error


def parse_phone(raw: str, *field: str) -> str:
    phone = normalize_phone(raw)
    if phone is None:
        raise DomainError.single(ErrorCode.INVALID_PHONE, INVALID_PHONE_MESSAGE, *field)
    return phone


async def start_registration(
    runtime: Runtime,
    *,
    phone: str,
    password: str,
    password_confirmation: str,
    privacy_policy_accepted: bool,
    client: ClientInfo,
) -> OneTimeCode:
    problems: list[Problem] = []
    normalized = normalize_phone(phone)
    if normalized is None:
        problems.append(Problem(ErrorCode.INVALID_PHONE, INVALID_PHONE_MESSAGE, ("input", "phone")))
    problems += password_problems(
        password, password_confirmation, field="password", confirmation_field="passwordConfirmation"
    )
    if not privacy_policy_accepted:
        problems.append(
            Problem(
                ErrorCode.PRIVACY_POLICY_NOT_ACCEPTED,
                "Подтвердите согласие с политикой конфиденциальности и на обработку персональных данных",
                ("input", "privacyPolicyAccepted"),
            )
        )
    if problems:
        raise DomainError(problems)
    assert normalized is not None
    now = runtime.clock.now()
    await check_sends_allowed(runtime, ip=client.ip, to=normalized, now=now)
    # Hashed whether or not the phone is free: the argon2 work is most of the answer's time.
    password_hash = hash_password(password)
    async with runtime.db.session() as session:
        registered = await phone_is_registered(session, normalized)
        challenge = await issue_challenge(
            session,
            runtime,
            purpose=CodePurpose.REGISTRATION,
            now=now,
            ip=client.ip,
            phone=normalized,
            payload={}
            if registered
            else {"password_hash": password_hash, "privacy_policy_accepted_at": now.isoformat()},
            phone_registered=registered,
        )
        await session.commit()
    return challenge


async def confirm_registration(runtime: Runtime, *, challenge_id: str, code: str, client: ClientInfo) -> IssuedSession:
    async def create_customer(session: AsyncSession, challenge: OneTimeCode, now: datetime) -> IssuedSession:
        assert challenge.phone is not None
        assert challenge.payload is not None
        # Someone may have registered the phone since the code was sent.
        if await phone_is_registered(session, challenge.phone):
            raise DomainError.single(ErrorCode.PHONE_ALREADY_REGISTERED, PHONE_TAKEN_MESSAGE, "input", "challengeId")
        customer = Customer(
            phone=challenge.phone,
            password_hash=challenge.payload["password_hash"],
            role=Role.CUSTOMER,
            privacy_policy_accepted_at=datetime.fromisoformat(challenge.payload["privacy_policy_accepted_at"]),
            created_at=now,
            updated_at=now,
        )
        session.add(customer)
        await flush_unless_phone_taken(session, "input", "challengeId")
        challenge.customer_id = customer.id
        challenge.payload = {}  # the pending password hash is not kept beyond its use
        return await start_session(session, runtime, customer=customer, client=client, now=now)

    return await redeem_code(
        runtime,
        challenge_id=challenge_id,
        code=code,
        purpose=CodePurpose.REGISTRATION,
        customer_id=None,
        ip=client.ip,
        apply=create_customer,
    )

"""`startPayment`: check the split, ask the provider for a payment page, store a PENDING payment — or nothing.

The split: electricity may be more than is owed (an advance, credited to next bills), but penalty and state duty
only up to what is owed for them. A customer's idempotency key names one payment: sending it again with the same
account, split and method returns that payment (its link still valid) and creates nothing; the same key with
anything else is refused (a client bug: one key, one intended payment).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
import structlog
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AccountDebt, Customer, Payment, PersonalAccount
from models.enums import PaymentMethod, PaymentStatus
from models.objects import AccountLink
from services.errors import DomainError, ErrorCode, Problem
from services.objects.accounts import account_not_found
from services.payments.fiscal import receipt_items
from services.payments.provider import PaymentOrder, ProviderUnavailable, runtime_provider
from services.platform.clock import LOCAL_TZ
from services.platform.database import run
from services.platform.runtime import Runtime

log = structlog.get_logger("payments")

PORTAL_METHODS = frozenset({PaymentMethod.SBP, PaymentMethod.CARD})
MAX_KEY_LENGTH = 64
# One payment at most 1 000 000 ₽: the usual per-operation limit of SBP, and far above any household bill.
MAX_AMOUNT = 100_000_000
PARTS = (("electricity", "электроэнергию"), ("penalty", "пени"), ("state_duty", "госпошлину"))
FIELDS = {"electricity": "electricity", "penalty": "penalty", "state_duty": "stateDuty"}


def _rubles(kopecks: int) -> str:
    return f"{kopecks // 100},{kopecks % 100:02d} ₽"


def _input_problems(*, amounts: dict[str, int], method: PaymentMethod, key: str) -> list[Problem]:
    problems = [
        Problem(ErrorCode.INVALID_AMOUNT, f"Сумма за {label} не может быть отрицательной", ("input", FIELDS[part]))
        for part, label in PARTS
        if amounts[part] < 0
    ]
    total = sum(amounts.values())
    if not problems and total <= 0:
        problems.append(
            Problem(ErrorCode.INVALID_AMOUNT, "Укажите сумму к оплате больше нуля", ("input", "electricity"))
        )
    if not problems and total > MAX_AMOUNT:
        problems.append(
            Problem(
                ErrorCode.INVALID_AMOUNT,
                f"Сумма одного платежа — не более {_rubles(MAX_AMOUNT)}; разделите оплату на несколько платежей",
                ("input", "electricity"),
            )
        )
    if method not in PORTAL_METHODS:
        problems.append(
            Problem(ErrorCode.INVALID_INPUT, "Выберите способ оплаты: СБП или банковская карта", ("input", "method"))
        )
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        problems.append(
            Problem(
                ErrorCode.INVALID_INPUT,
                f"Ключ идемпотентности: от 1 до {MAX_KEY_LENGTH} символов",
                ("input", "idempotencyKey"),
            )
        )
    return problems


def _debt_problems(debt: AccountDebt | None, *, penalty: int, state_duty: int) -> list[Problem]:
    owed_penalty = max(debt.penalty, 0) if debt is not None else 0
    owed_duty = max(debt.state_duty, 0) if debt is not None else 0
    problems = []
    if penalty > owed_penalty:
        problems.append(
            Problem(
                ErrorCode.INVALID_AMOUNT,
                f"Сумма пени больше задолженности по пени ({_rubles(owed_penalty)}); укажите не больше",
                ("input", "penalty"),
            )
        )
    if state_duty > owed_duty:
        problems.append(
            Problem(
                ErrorCode.INVALID_AMOUNT,
                f"Сумма госпошлины больше задолженности по госпошлине ({_rubles(owed_duty)}); укажите не больше",
                ("input", "stateDuty"),
            )
        )
    return problems


async def _earlier(session: AsyncSession, *, customer_id: int, key: str) -> Payment | None:
    # Retries with one key take turns, so two at the same moment cannot both create a payment.
    await run(
        session,
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:lock, 0))"),
        {"lock": f"payment:{customer_id}:{key}"},
    )
    statement = select(Payment).where(Payment.customer_id == customer_id, Payment.idempotency_key == key)
    return (await session.exec(statement)).first()


def _same_request(earlier: Payment, *, account_id: int, amounts: dict[str, int], method: PaymentMethod) -> bool:
    stored = {"electricity": earlier.electricity, "penalty": earlier.penalty, "state_duty": earlier.state_duty}
    return earlier.account_id == account_id and earlier.method is method and stored == amounts


def provider_unavailable() -> DomainError:
    return DomainError.single(
        ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
        "Платёжный сервис сейчас не отвечает. Попробуйте оплатить через несколько минут",
        "input",
    )


def idempotence_key(scope: str) -> str:
    """The provider's Idempotence-Key for one intended payment: retries of it create one payment at the provider."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"lk-payment:{scope}"))


async def create_at_provider(
    runtime: Runtime,
    session: AsyncSession,
    *,
    account: PersonalAccount,
    debt: AccountDebt | None,
    amounts: dict[str, int],
    method: PaymentMethod,
    scope: str,
    return_url: str,
    receipt_email: str | None,
    receipt_phone: str | None,
    now: datetime,
) -> Payment:
    """Ask the provider for the payment, then add the PENDING payment to `session` (the caller commits)."""
    assert account.id is not None
    provider = runtime_provider(runtime)
    amount = sum(amounts.values())
    order = PaymentOrder(
        amount=amount,
        method=method,
        idempotence_key=idempotence_key(scope),
        description=f"Оплата электроэнергии, л/с {account.number}",
        return_url=return_url,
        receipt_email=receipt_email,
        receipt_phone=receipt_phone,
        items=receipt_items(
            account_number=account.number,
            electricity=amounts["electricity"],
            penalty=amounts["penalty"],
            state_duty=amounts["state_duty"],
            owed_electricity=debt.electricity if debt is not None else 0,
            on=now.astimezone(LOCAL_TZ).date(),
        ),
        metadata={"account": account.number, "scope": scope[:100]},
    )
    try:
        created = await provider.create(order)
    except ProviderUnavailable as error:
        log.warning("payment provider unavailable", provider=provider.name, error=str(error))
        raise provider_unavailable() from error
    payment = Payment(
        account_id=account.id,
        amount=amount,
        electricity=amounts["electricity"],
        penalty=amounts["penalty"],
        state_duty=amounts["state_duty"],
        method=method,
        status=PaymentStatus.PENDING,
        provider=provider.name,
        provider_payment_id=created.provider_payment_id,
        confirmation_url=created.confirmation_url,
        created_at=now,
    )
    session.add(payment)
    return payment


def receipt_phone(phone: str) -> str:
    return phone.removeprefix("+")  # ЮKassa: the phone in ITU-T E.164 without "+", e.g. 79000000000


async def start_payment(
    runtime: Runtime,
    *,
    customer_id: int,
    account_id: int,
    electricity: int,
    penalty: int,
    state_duty: int,
    method: PaymentMethod,
    idempotency_key: str,
) -> Payment:
    """A PENDING payment with the provider's confirmation URL (the customer pays there), or a DomainError."""
    amounts = {"electricity": electricity, "penalty": penalty, "state_duty": state_duty}
    problems = _input_problems(amounts=amounts, method=method, key=idempotency_key)
    if problems:
        raise DomainError(problems)
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        earlier = await _earlier(session, customer_id=customer_id, key=idempotency_key)
        if earlier is not None:
            if not _same_request(earlier, account_id=account_id, amounts=amounts, method=method):
                raise DomainError.single(
                    ErrorCode.INVALID_INPUT,
                    "Этот ключ идемпотентности уже использован для другого платежа; начните оплату заново",
                    "input",
                    "idempotencyKey",
                )
            return earlier
        link = (
            await session.exec(
                select(AccountLink.id).where(
                    AccountLink.customer_id == customer_id, AccountLink.account_id == account_id
                )
            )
        ).first()
        if link is None:
            raise account_not_found()
        debt = await session.get(AccountDebt, account_id)
        problems = _debt_problems(debt, penalty=penalty, state_duty=state_duty)
        if problems:
            raise DomainError(problems)
        account = await session.get(PersonalAccount, account_id)
        customer = await session.get(Customer, customer_id)
        assert account is not None, "a link holds its account"
        assert customer is not None, "a link holds its customer"
        email = customer.email if customer.email and customer.email_verified else None
        payment = await create_at_provider(
            runtime,
            session,
            account=account,
            debt=debt,
            amounts=amounts,
            method=method,
            scope=f"customer:{customer_id}:{idempotency_key}",
            return_url=f"{runtime.settings.public_url.rstrip('/')}/",
            receipt_email=email,
            receipt_phone=None if email else receipt_phone(customer.phone),
            now=now,
        )
        payment.customer_id = customer_id
        payment.idempotency_key = idempotency_key
        await session.commit()
    return payment

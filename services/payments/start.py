"""`startPayment`: check the split, ask the provider for a payment page, store a PENDING payment — or nothing.

The split: electricity may be more than is owed (an advance, credited to next bills), but penalty and state duty
only up to what is owed for them. A customer's idempotency key names one payment: sending it again with the same
account, split and method returns that payment (its link still valid) and creates nothing; the same key with
anything else is refused (a client bug: one key, one intended payment).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AccountDebt, Payment
from models.enums import PaymentMethod, PaymentStatus
from models.objects import AccountLink
from services.errors import DomainError, ErrorCode, Problem
from services.objects.accounts import account_not_found
from services.payments.provider import payment_provider
from services.platform.database import run
from services.platform.runtime import Runtime

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
        provider = payment_provider(runtime.settings)
        created = provider.create(amount=electricity + penalty + state_duty, method=method)
        payment = Payment(
            account_id=account_id,
            customer_id=customer_id,
            amount=electricity + penalty + state_duty,
            electricity=electricity,
            penalty=penalty,
            state_duty=state_duty,
            method=method,
            status=PaymentStatus.PENDING,
            provider=provider.name,
            provider_payment_id=created.provider_payment_id,
            confirmation_url=created.confirmation_url,
            created_at=now,
            idempotency_key=idempotency_key,
        )
        session.add(payment)
        await session.commit()
    return payment

"""Payments made elsewhere (a bank, a cash desk, the post office, other aggregators), imported by an integration.

Idempotent by the sender's own ids: a payment is (sender, external id), stored once (the unique key on provider and
provider payment id, with provider `import:<service token id>`), so a batch sent again, or overlapping an earlier
one, credits nothing twice. A batch is all or nothing: one bad item refuses the whole batch with the item's error.
Each new payment lowers the account's debt as a portal payment does (services/payments/settle.py: penalty and state
duty at most what is owed, the rest electricity) and writes `payment.status_changed` to the account, so a customer
looking at the portal sees it arrive. Three statements a batch, whatever its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from models.enums import PaymentMethod, PaymentStatus
from services.errors import DomainError, ErrorCode, Problem
from services.integrations.service_tokens import PAYMENTS_WRITE, ServicePrincipal, require_scope
from services.payments.settle import STATUS_CHANGED
from services.payments.start import MAX_AMOUNT
from services.platform.database import run
from services.platform.runtime import Runtime

MAX_ITEMS = 1000
MAX_EXTERNAL_ID = 100
OUTSIDE_METHODS = frozenset(
    {PaymentMethod.BANK, PaymentMethod.CASH_DESK, PaymentMethod.POST_OFFICE, PaymentMethod.AGGREGATOR}
)


@dataclass(frozen=True, slots=True)
class ExternalPayment:
    external_id: str
    account_number: str
    electricity: int  # kopecks
    paid_at: datetime
    method: PaymentMethod
    penalty: int = 0
    state_duty: int = 0


@dataclass(frozen=True, slots=True)
class PaymentImportResult:
    created: int
    skipped: int  # imported before (same sender and external id)


def import_provider(token_id: int) -> str:
    return f"import:{token_id}"


_ACCOUNTS = sa.text("SELECT id, number FROM personal_account WHERE number = ANY(CAST(:numbers AS varchar[]))")
_INSERT = sa.text(
    """
    INSERT INTO payment (account_id, amount, electricity, penalty, state_duty, method, status, provider,
                         provider_payment_id, created_at, paid_at)
    SELECT item.account_id, item.electricity + item.penalty + item.state_duty, item.electricity, item.penalty,
           item.state_duty, item.method, :status, :provider, item.external_id, :now, item.paid_at
    FROM unnest(CAST(:accounts AS bigint[]), CAST(:electricity AS bigint[]), CAST(:penalty AS bigint[]),
                CAST(:state_duty AS bigint[]), CAST(:methods AS varchar[]), CAST(:external_ids AS varchar[]),
                CAST(:paid_at AS timestamptz[]))
         AS item(account_id, electricity, penalty, state_duty, method, external_id, paid_at)
    ORDER BY item.paid_at
    ON CONFLICT (provider, provider_payment_id) DO NOTHING
    RETURNING id
    """
)
# The caps of settle.credit, per account at once: paying penalties one after another up to what is owed is the same
# as paying their sum up to it.
_CREDIT = sa.text(
    """
    WITH paid AS (
        SELECT account_id, sum(amount) AS amount, sum(penalty) AS penalty, sum(state_duty) AS state_duty
        FROM payment WHERE id = ANY(CAST(:ids AS bigint[])) GROUP BY account_id
    ),
    applied AS (
        SELECT paid.account_id, paid.amount,
               least(paid.penalty, greatest(coalesce(debt.penalty, 0), 0)) AS penalty,
               least(paid.state_duty, greatest(coalesce(debt.state_duty, 0), 0)) AS state_duty
        FROM paid LEFT JOIN account_debt AS debt ON debt.account_id = paid.account_id
    )
    INSERT INTO account_debt (account_id, electricity, penalty, state_duty, updated_at)
    SELECT account_id, -(amount - penalty - state_duty), -penalty, -state_duty, :now FROM applied
    ON CONFLICT (account_id) DO UPDATE SET
        electricity = account_debt.electricity + excluded.electricity,
        penalty = account_debt.penalty + excluded.penalty,
        state_duty = account_debt.state_duty + excluded.state_duty,
        updated_at = excluded.updated_at
    """
)
# "old": PENDING — the money was on its way from the bank; "new": SUCCEEDED, as for a portal payment confirmed.
_EVENTS = sa.text(
    """
    INSERT INTO outbox_event (type, channels, payload, created_at)
    SELECT :type, ARRAY['account:' || account_id], jsonb_build_object(
               'payment_id', id, 'account_id', account_id, 'old', 'PENDING', 'new', status,
               'at', CAST(:at AS text), 'amount', amount,
               'paid_at', to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')),
           :now
    FROM payment WHERE id = ANY(CAST(:ids AS bigint[])) ORDER BY id
    """
)


def _problem(index: int, field: str, message: str, code: ErrorCode = ErrorCode.INVALID_INPUT) -> Problem:
    return Problem(code, message, ("input", "items", str(index), field))


def _item_problems(index: int, item: ExternalPayment, *, now: datetime, seen: set[str]) -> list[Problem]:
    problems = []
    if not item.external_id.strip() or len(item.external_id) > MAX_EXTERNAL_ID:
        problems.append(_problem(index, "externalId", f"Идентификатор платежа: от 1 до {MAX_EXTERNAL_ID} символов"))
    elif item.external_id in seen:
        problems.append(_problem(index, "externalId", "Идентификатор платежа повторяется в пакете"))
    seen.add(item.external_id)
    if item.method not in OUTSIDE_METHODS:
        problems.append(_problem(index, "method", "Способ: банк, касса, почта или платёжный агрегатор"))
    parts = (item.electricity, item.penalty, item.state_duty)
    if any(part < 0 for part in parts):
        problems.append(_problem(index, "electricity", "Суммы не могут быть отрицательными", ErrorCode.INVALID_AMOUNT))
    elif not 0 < sum(parts) <= MAX_AMOUNT:
        problems.append(
            _problem(index, "electricity", "Сумма платежа — от 1 копейки до 1 000 000 ₽", ErrorCode.INVALID_AMOUNT)
        )
    if item.paid_at.tzinfo is None:
        problems.append(_problem(index, "paidAt", "Время оплаты — с часовым поясом"))
    elif item.paid_at > now:
        problems.append(_problem(index, "paidAt", "Время оплаты ещё не наступило"))
    return problems


async def import_payments(
    runtime: Runtime, *, principal: ServicePrincipal, items: Sequence[ExternalPayment]
) -> PaymentImportResult:
    """Payments received elsewhere (`payments:write`); an external id is unique per token."""
    require_scope(principal, PAYMENTS_WRITE)
    sender_token_id = principal.token_id
    if not items or len(items) > MAX_ITEMS:
        raise DomainError.single(ErrorCode.INVALID_INPUT, f"От 1 до {MAX_ITEMS} платежей за раз", "input", "items")
    now = runtime.clock.now()
    seen: set[str] = set()
    problems = [
        problem for index, item in enumerate(items) for problem in _item_problems(index, item, now=now, seen=seen)
    ]
    async with runtime.db.session() as session:
        numbers = sorted({item.account_number for item in items})
        accounts = {row.number: row.id for row in await run(session, _ACCOUNTS, {"numbers": numbers})}
        problems += [
            _problem(index, "accountNumber", "Лицевой счёт не найден", ErrorCode.NOT_FOUND)
            for index, item in enumerate(items)
            if item.account_number not in accounts
        ]
        if problems:
            raise DomainError(problems)
        inserted = await run(
            session,
            _INSERT,
            {
                "status": PaymentStatus.SUCCEEDED.value,
                "provider": import_provider(sender_token_id),
                "now": now,
                "accounts": [accounts[item.account_number] for item in items],
                "electricity": [item.electricity for item in items],
                "penalty": [item.penalty for item in items],
                "state_duty": [item.state_duty for item in items],
                "methods": [item.method.value for item in items],
                "external_ids": [item.external_id for item in items],
                "paid_at": [item.paid_at for item in items],
            },
        )
        ids = [row.id for row in inserted]
        if ids:
            await run(session, _CREDIT, {"ids": ids, "now": now})
            await run(session, _EVENTS, {"ids": ids, "now": now, "at": now.isoformat(), "type": STATUS_CHANGED})
        await session.commit()
    return PaymentImportResult(created=len(ids), skipped=len(items) - len(ids))

"""Statements imported from an external billing system (BILLING_MODE=external).

The supplier bills elsewhere; the integration (service token scope `billing:write`) sends statements with their
charge lines. Idempotent twice over: a batch id seen before from the same sender changes nothing, and a statement
whose sender id is already stored is skipped. Checked before anything is written: the owner exists, amounts are whole
kopecks that add up (closing = opening + charged + recalculated + vat + penalty − paid; the lines make up charged and
recalculated), the lines' zones are the owner's meters' zones, and each opening balance continues the owner's
previous statement. All statements of a batch are stored, or none; each writes the same `statement.issued` event as
the period close.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from models import AccountDebt, Charge, Statement
from models.enums import ZONES_BY_COUNT, ChargeBasis, ChargeKind, TariffZone
from services.billing.calendar import add_months
from services.billing.events import StatementIssued
from services.errors import DomainError, ErrorCode, Problem
from services.events.outbox import record_event
from services.integrations.batches import check_batch_id, claim_batch
from services.integrations.service_tokens import BILLING_WRITE, ServicePrincipal, require_scope
from services.platform.database import run
from services.platform.runtime import Runtime

MAX_STATEMENTS = 1000
CHAIN_LOOKBACK_MONTHS = 12  # an opening balance continues the owner's statement of up to a year before
_ESTIMATE_ZONES = {TariffZone.SINGLE}  # the norm and the capacity method are single-rate


@dataclass(frozen=True, slots=True)
class ImportedCharge:
    zone: TariffZone
    kind: ChargeKind
    basis: ChargeBasis
    volume_kwh: int
    rate_kopecks: int
    amount: int
    recalculated_period: date | None = None


@dataclass(frozen=True, slots=True)
class ImportedStatement:
    external_id: str
    period: date
    opening_balance: int
    charged: int
    recalculated: int
    paid: int
    penalty: int
    closing_balance: int
    issued_on: date
    due_on: date
    account_number: str | None = None  # a household's personal account …
    delivery_point_id: int | None = None  # … or an organisation's delivery point
    vat: int = 0
    charges: Sequence[ImportedCharge] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class StatementImportResult:
    created: int
    skipped: int  # already stored under the same sender id
    repeated_batch: bool


def _problem(code: ErrorCode, message: str, index: int, *name: str) -> Problem:
    return Problem(code, message, ("input", "statements", str(index), *name))


_OWNERS = sa.text(
    """
    SELECT 'account' AS kind, a.id, a.number AS key, a.id AS channel_id,
           coalesce(array_agg(DISTINCT m.zone_count) FILTER (WHERE m.id IS NOT NULL), '{}') AS zone_counts
    FROM personal_account a LEFT JOIN meter m ON m.account_id = a.id AND m.removed_on IS NULL
    WHERE a.number = ANY(CAST(:numbers AS varchar[])) GROUP BY a.id
    UNION ALL
    SELECT 'point', d.id, d.id::text, d.contract_id,
           coalesce(array_agg(DISTINCT m.zone_count) FILTER (WHERE m.id IS NOT NULL), '{}')
    FROM delivery_point d LEFT JOIN meter m ON m.delivery_point_id = d.id AND m.removed_on IS NULL
    WHERE d.id = ANY(CAST(:points AS bigint[])) GROUP BY d.id
    """
)

# The owners' stored statements from a year before the batch's first period to its last.
_STORED = sa.text(
    """
    SELECT account_id, delivery_point_id, period, closing_balance FROM statement
    WHERE (account_id = ANY(CAST(:accounts AS bigint[])) OR delivery_point_id = ANY(CAST(:points AS bigint[])))
      AND period >= :first AND period <= :last
    """
)


def _amount_problems(index: int, item: ImportedStatement) -> list[Problem]:
    problems: list[Problem] = []
    money = (item.opening_balance, item.charged, item.recalculated, item.vat, item.paid, item.penalty)
    if not all(type(value) is int for value in (*money, item.closing_balance)):
        problems.append(_problem(ErrorCode.INVALID_AMOUNT, "Суммы — целые числа копеек", index))
        return problems
    if item.paid < 0 or item.penalty < 0:
        problems.append(_problem(ErrorCode.INVALID_AMOUNT, "Оплата и пени не могут быть отрицательными", index))
    expected = item.opening_balance + item.charged + item.recalculated + item.vat + item.penalty - item.paid
    if item.closing_balance != expected:
        problems.append(
            _problem(
                ErrorCode.BALANCE_MISMATCH,
                f"Исходящее сальдо {item.closing_balance} не сходится: ожидается {expected}",
                index,
                "closingBalance",
            )
        )
    consumption = sum(line.amount for line in item.charges if line.kind is ChargeKind.CONSUMPTION)
    recalculation = sum(line.amount for line in item.charges if line.kind is ChargeKind.RECALCULATION)
    if consumption != item.charged or recalculation != item.recalculated:
        problems.append(
            _problem(
                ErrorCode.BALANCE_MISMATCH, "Строки начислений не дают суммы начислено/перерасчёт", index, "charges"
            )
        )
    for line_index, line in enumerate(item.charges):
        if line.kind is ChargeKind.CONSUMPTION and line.amount != line.volume_kwh * line.rate_kopecks:
            problems.append(
                _problem(
                    ErrorCode.INVALID_AMOUNT, "Сумма строки не равна объёму × тариф", index, "charges", str(line_index)
                )
            )
        if line.kind is ChargeKind.RECALCULATION and line.recalculated_period is None:
            problems.append(
                _problem(ErrorCode.INVALID_INPUT, "Перерасчёт без периода", index, "charges", str(line_index))
            )
    return problems


async def import_statements(
    runtime: Runtime, *, principal: ServicePrincipal, batch_id: str, statements: Sequence[ImportedStatement]
) -> StatementImportResult:
    """An external billing system's statements (`billing:write`); its batches are named by the token's name."""
    require_scope(principal, BILLING_WRITE)
    sender = principal.name
    if runtime.settings.billing_mode != "external":
        raise DomainError.single(
            ErrorCode.BILLING_MODE_INTERNAL, "Начисления формирует сам сервер (BILLING_MODE=internal)", "input"
        )
    check_batch_id(batch_id)
    if not statements or len(statements) > MAX_STATEMENTS:
        raise DomainError.single(
            ErrorCode.INVALID_INPUT, f"От 1 до {MAX_STATEMENTS} документов за раз", "input", "statements"
        )
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        claimed = await claim_batch(
            session, sender=sender, batch_id=batch_id, kind="statements", items=len(statements), now=now
        )
        if not claimed:
            return StatementImportResult(created=0, skipped=0, repeated_batch=True)
        owners = (
            await run(
                session,
                _OWNERS,
                {
                    "numbers": [s.account_number for s in statements if s.account_number is not None],
                    "points": [s.delivery_point_id for s in statements if s.delivery_point_id is not None],
                },
            )
        ).all()
        by_key = {(row.kind, row.key): row for row in owners}
        keys = [f"{sender}:{item.external_id}" for item in statements]
        stored_ids = set(
            (
                await run(
                    session,
                    sa.text("SELECT external_id FROM statement WHERE external_id = ANY(CAST(:keys AS varchar[]))"),
                    {"keys": keys},
                )
            )
            .scalars()
            .all()
        )
        problems: list[Problem] = []
        resolved: list[tuple[int, ImportedStatement, Any]] = []
        seen: set[str] = set()
        for index, item in enumerate(statements):
            if not item.external_id.strip() or len(item.external_id) > 64 or item.external_id in seen:
                problems.append(
                    _problem(ErrorCode.INVALID_INPUT, "Идентификатор: от 1 до 64 символов, без повторов", index, "id")
                )
            seen.add(item.external_id)
            if (item.account_number is None) == (item.delivery_point_id is None):
                problems.append(_problem(ErrorCode.INVALID_INPUT, "Укажите лицевой счёт либо точку поставки", index))
                continue
            owner = by_key.get(
                ("account", item.account_number)
                if item.account_number is not None
                else ("point", str(item.delivery_point_id))
            )
            if owner is None:
                problems.append(_problem(ErrorCode.NOT_FOUND, "Лицевой счёт или точка поставки не найдены", index))
                continue
            if item.period.day != 1:
                problems.append(_problem(ErrorCode.INVALID_INPUT, "Период — первое число месяца", index, "period"))
            problems += _amount_problems(index, item)
            zones = {zone for count in owner.zone_counts for zone in ZONES_BY_COUNT[count]}
            for line_index, line in enumerate(item.charges):
                allowed = zones | (_ESTIMATE_ZONES if line.basis in (ChargeBasis.NORM, ChargeBasis.CAPACITY) else set())
                if line.zone not in allowed:
                    problems.append(
                        _problem(
                            ErrorCode.ZONES_MISMATCH,
                            "У приборов учёта нет такой зоны",
                            index,
                            "charges",
                            str(line_index),
                            "zone",
                        )
                    )
            resolved.append((index, item, owner))
        if problems:
            raise DomainError(problems)

        # The chain: each opening balance is the closing balance of the owner's statement just before it.
        fresh = [(index, item, owner) for index, item, owner in resolved if keys[index] not in stored_ids]
        stored: dict[tuple[str, int], dict[date, int]] = defaultdict(dict)
        if fresh:
            periods = [item.period for _, item, _ in fresh]
            for row in (
                await run(
                    session,
                    _STORED,
                    {
                        "accounts": [o.id for _, _, o in fresh if o.kind == "account"],
                        "points": [o.id for _, _, o in fresh if o.kind == "point"],
                        "first": add_months(min(periods), -CHAIN_LOOKBACK_MONTHS),
                        "last": max(periods),
                    },
                )
            ).all():
                kind, owner_id = (
                    ("account", row.account_id) if row.account_id is not None else ("point", row.delivery_point_id)
                )
                stored[(kind, owner_id)][row.period] = row.closing_balance
        by_owner: dict[tuple[str, int], list[tuple[int, ImportedStatement]]] = defaultdict(list)
        for index, item, owner in fresh:
            by_owner[(owner.kind, owner.id)].append((index, item))
        for owner_key, items in by_owner.items():
            known = dict(stored.get(owner_key, {}))
            for index, item in sorted(items, key=lambda pair: pair[1].period):
                if item.period in known:
                    problems.append(_problem(ErrorCode.ALREADY_BILLED, "За этот период документ уже есть", index))
                    continue
                before = [month for month in known if month < item.period]
                if before:
                    last = max(before)
                    if item.opening_balance != known[last]:
                        problems.append(
                            _problem(
                                ErrorCode.BALANCE_MISMATCH,
                                f"Входящее сальдо {item.opening_balance} не равно исходящему {known[last]} "
                                f"за {last:%m.%Y}",
                                index,
                                "openingBalance",
                            )
                        )
                known[item.period] = item.closing_balance
        if problems:
            raise DomainError(problems)

        for index, item, owner in fresh:
            household = owner.kind == "account"
            statement = Statement(
                account_id=owner.id if household else None,
                delivery_point_id=None if household else owner.id,
                period=item.period,
                opening_balance=item.opening_balance,
                charged=item.charged,
                recalculated=item.recalculated,
                vat=item.vat,
                paid=item.paid,
                penalty=item.penalty,
                closing_balance=item.closing_balance,
                issued_on=item.issued_on,
                due_on=item.due_on,
                created_at=now,
                external_id=keys[index],
            )
            session.add(statement)
            await session.flush()
            for line in item.charges:
                session.add(
                    Charge(
                        account_id=statement.account_id,
                        delivery_point_id=statement.delivery_point_id,
                        statement_id=statement.id,
                        period=item.period,
                        zone=line.zone,
                        kind=line.kind,
                        basis=line.basis,
                        volume_kwh=line.volume_kwh,
                        rate_kopecks=line.rate_kopecks,
                        amount=line.amount,
                        recalculated_period=line.recalculated_period,
                    )
                )
            if household:
                await run(
                    session,
                    insert(AccountDebt)
                    .values(
                        account_id=owner.id,
                        electricity=item.charged + item.recalculated,
                        penalty=item.penalty,
                        state_duty=0,
                        updated_at=now,
                    )
                    .on_conflict_do_update(
                        index_elements=["account_id"],
                        set_={
                            "electricity": AccountDebt.electricity + item.charged + item.recalculated,
                            "penalty": AccountDebt.penalty + item.penalty,
                            "updated_at": now,
                        },
                    ),
                )
            assert statement.id is not None
            record_event(
                session,
                StatementIssued(
                    statement_id=statement.id,
                    account_id=owner.id if household else None,
                    delivery_point_id=None if household else owner.id,
                    contract_id=None if household else owner.channel_id,
                    period=item.period.isoformat(),
                    closing_balance=item.closing_balance,
                    issued_on=item.issued_on.isoformat(),
                    due_on=item.due_on.isoformat(),
                ),
                now=now,
            )
        await session.commit()
    return StatementImportResult(created=len(fresh), skipped=len(resolved) - len(fresh), repeated_batch=False)

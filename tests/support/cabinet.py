"""Cabinet data for tests: an account (or a contract) with meters, months of readings, statements and payments.

Rows go in through Core inserts in the test's transaction; ids come back so tests can ask for the exact objects.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from strawberry.relay import to_base64

from loaders.pages import table_of
from models import (
    AccountDebt,
    Charge,
    Contract,
    ContractLink,
    Customer,
    DeliveryPoint,
    Meter,
    Payment,
    PersonalAccount,
    Reading,
    ReadingSubmission,
    Statement,
    SubmittedValue,
)
from models.enums import (
    ZONES_BY_COUNT,
    ChargeKind,
    ContractHolderKind,
    PaymentMethod,
    PaymentStatus,
    ReadingSource,
    SubmissionStatus,
)
from services.cabinet.periods import add_months, month_start
from services.platform.clock import LOCAL_TZ
from services.platform.database import Database, run
from services.platform.runtime import Runtime
from tests.support.factories import create_account
from tests.support.identity import token_for as _signed_in_token

RATE_KOPECKS = {"SINGLE": 606, "DAY": 703, "NIGHT": 339, "PEAK": 800, "SEMI_PEAK": 606}
_sequence = itertools.count(1)


async def token_for(runtime: Runtime, customer: Customer) -> str:
    """An access token of a real session (the session guard refuses tokens of sessions it cannot find)."""
    return await _signed_in_token(runtime, customer)


def global_id(type_name: str, row_id: int | None) -> str:
    return to_base64(type_name, str(row_id))


def history_months(now: datetime, months: int) -> list[date]:
    """The `months` billing months before the current one, oldest first."""
    current = month_start(now.astimezone(LOCAL_TZ).date())
    return [add_months(current, index - months) for index in range(months)]


@dataclass
class CabinetAccount:
    account: PersonalAccount
    meters: list[Meter]
    months: list[date]
    reading_ids: list[int] = field(default_factory=list)
    submission_ids: list[int] = field(default_factory=list)
    statement_ids: list[int] = field(default_factory=list)
    charge_ids: list[int] = field(default_factory=list)
    payment_ids: list[int] = field(default_factory=list)

    @property
    def id(self) -> int:
        assert self.account.id is not None
        return self.account.id


async def _insert(db: Database, model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    async with db.session() as session:
        result = await run(session, sa.insert(table_of(model)).values(rows).returning(table_of(model).c.id))
        ids = [row.id for row in result]
        await session.commit()
    return ids


async def _readings(
    db: Database, meter: Meter, months: list[date], *, customer_id: int | None
) -> tuple[list[int], list[int]]:
    """Monthly accepted readings per zone (the 24th of each month) and a customer submission for each month."""
    assert meter.id is not None
    zones = ZONES_BY_COUNT[meter.zone_count]
    readings, values = [], {zone: 1000 * (index + 1) for index, zone in enumerate(zones)}
    for index, month in enumerate(months):
        for zone in zones:
            values[zone] += 100 + index
            readings.append(
                {
                    "meter_id": meter.id,
                    "zone": zone.name,
                    "value": values[zone],
                    "taken_on": month.replace(day=24),
                    "period": month,
                    "source": (ReadingSource.CUSTOMER if index % 2 else ReadingSource.UTILITY_PROVIDER).name,
                    "status": "ACCEPTED",
                    "created_at": datetime.combine(month.replace(day=24), time(12), LOCAL_TZ),
                }
            )
    reading_ids = await _insert(db, Reading, readings)
    submission_ids: list[int] = []
    if customer_id is not None:
        submission_ids = await _insert(
            db,
            ReadingSubmission,
            [
                {
                    "meter_id": meter.id,
                    "account_id": meter.account_id,
                    "customer_id": customer_id,
                    "idempotency_key": f"test-{next(_sequence)}",
                    "status": SubmissionStatus.PROCESSED.name,
                    "period": month,
                    "submitted_at": datetime.combine(month.replace(day=20), time(9), LOCAL_TZ),
                    "status_changed_at": datetime.combine(month.replace(day=20), time(10), LOCAL_TZ),
                }
                for month in months
            ],
        )
        await _insert(
            db,
            SubmittedValue,
            [
                {"submission_id": submission_id, "zone": zone.name, "value": 500 + index, "consumption": 100}
                for submission_id in submission_ids
                for index, zone in enumerate(zones)
            ],
        )
    return reading_ids, submission_ids


async def create_cabinet_account(
    db: Database, *, now: datetime, owner: Customer | None = None, months: int = 24, zone_count: int = 2
) -> CabinetAccount:
    """A flat with one meter and `months` months of history: readings, submissions, statements with charges
    (and one recalculation), a succeeded payment in every month, one pending payment now, and a debt."""
    account, meter = await create_account(db, now=now, owner=owner, zone_count=zone_count)
    assert account.id is not None
    history = history_months(now, months)
    created = CabinetAccount(account=account, meters=[meter], months=history)
    created.reading_ids, created.submission_ids = await _readings(
        db, meter, history, customer_id=owner.id if owner is not None else None
    )
    zones = ZONES_BY_COUNT[zone_count]
    balance = 0
    statements: list[dict[str, Any]] = []
    lines_by_month: list[list[tuple[str, int, int, ChargeKind, date | None]]] = []
    payments: list[dict[str, Any]] = []
    for index, month in enumerate(history):
        lines: list[tuple[str, int, int, ChargeKind, date | None]] = [
            (zone.name, 150 + index, RATE_KOPECKS[zone.name], ChargeKind.CONSUMPTION, None) for zone in zones
        ]
        if index == 3:
            lines.append((zones[0].name, -20, RATE_KOPECKS[zones[0].name], ChargeKind.RECALCULATION, history[1]))
        charged = sum(kwh * rate for _, kwh, rate, kind, _ in lines if kind is ChargeKind.CONSUMPTION)
        recalculated = sum(kwh * rate for _, kwh, rate, kind, _ in lines if kind is ChargeKind.RECALCULATION)
        paid = balance  # last month's bill, paid on the 10th
        closing = balance + charged + recalculated - paid
        statements.append(
            {
                "account_id": account.id,
                "period": month,
                "opening_balance": balance,
                "charged": charged,
                "recalculated": recalculated,
                "paid": paid,
                "penalty": 0,
                "closing_balance": closing,
                "issued_on": add_months(month, 1).replace(day=5),
                "due_on": add_months(month, 1).replace(day=15),
                "created_at": now,
            }
        )
        lines_by_month.append(lines)
        if paid:
            paid_at = datetime.combine(month.replace(day=10), time(11), LOCAL_TZ)
            payments.append(_payment(account.id, paid, paid_at, PaymentStatus.SUCCEEDED))
        balance = closing
    created.statement_ids = await _insert(db, Statement, statements)
    created.charge_ids = await _insert(
        db,
        Charge,
        [
            {
                "account_id": account.id,
                "statement_id": statement_id,
                "period": month,
                "zone": zone,
                "kind": kind.name,
                "basis": "READINGS",
                "volume_kwh": kwh,
                "rate_kopecks": rate,
                "amount": kwh * rate,
                "recalculated_period": corrected,
            }
            for statement_id, month, lines in zip(created.statement_ids, history, lines_by_month, strict=True)
            for zone, kwh, rate, kind, corrected in lines
        ],
    )
    created.payment_ids = await _insert(db, Payment, payments)
    created.payment_ids += await _insert(
        db, Payment, [_payment(account.id, balance, now - timedelta(minutes=5), PaymentStatus.PENDING)]
    )
    async with db.session() as session:
        session.add(AccountDebt(account_id=account.id, electricity=balance, penalty=1250, state_duty=0, updated_at=now))
        await session.commit()
    return created


def _payment(account_id: int, amount: int, at: datetime, status: PaymentStatus) -> dict[str, Any]:
    number = next(_sequence)
    return {
        "account_id": account_id,
        "amount": amount,
        "electricity": amount,
        "penalty": 0,
        "state_duty": 0,
        "method": PaymentMethod.SBP.name,
        "status": status.name,
        "provider": "test",
        "provider_payment_id": f"test-{number}",
        "created_at": at,
        "paid_at": at if status is PaymentStatus.SUCCEEDED else None,
    }


@dataclass
class CabinetContract:
    contract: Contract
    point: DeliveryPoint
    meter: Meter
    reading_ids: list[int]

    @property
    def id(self) -> int:
        assert self.contract.id is not None
        return self.contract.id


async def create_cabinet_contract(
    db: Database, *, now: datetime, owner: Customer | None = None, months: int = 24
) -> CabinetContract:
    number = next(_sequence)
    async with db.session() as session:
        contract = Contract(
            number=f"15-9{number:05d}",
            inn="2901000000",
            holder_name=f"ООО «Тест {number}»",
            holder_kind=ContractHolderKind.LEGAL_ENTITY,
            signed_on=date(2019, 3, 1),
            created_at=now,
        )
        session.add(contract)
        await session.flush()
        assert contract.id is not None
        point = DeliveryPoint(contract_id=contract.id, name="Склад", address="г. Архангельск, ул. Тестовая, д. 5")
        session.add(point)
        await session.flush()
        meter = Meter(
            delivery_point_id=point.id,
            serial=f"0128{number:011d}",
            model="Меркурий 230",
            zone_count=1,
            digits=7,
            installed_on=date(2019, 3, 1),
        )
        session.add(meter)
        if owner is not None:
            assert owner.id is not None
            session.add(ContractLink(customer_id=owner.id, contract_id=contract.id, linked_at=now))
        await session.commit()
    reading_ids, _ = await _readings(db, meter, history_months(now, months), customer_id=None)
    return CabinetContract(contract=contract, point=point, meter=meter, reading_ids=reading_ids)

"""Tech connections («Техприс») as grid companies send them: upserted by (grid company, the company's own id).

Sending the same item twice changes nothing but `updated_at`; a changed item overwrites the stored one. An item
belongs to the customer registered with its applicant's phone; an applicant who registers later still sees theirs,
because customers are also matched by phone when their tech connections are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import ReturningInsert
from sqlmodel import col, select

from models.enums import Role, TechConnectionStatus
from models.identity import Customer
from models.objects import GridCompany, TechConnection
from services.errors import DomainError, ErrorCode, Problem
from services.identity.contacts import normalize_phone
from services.integrations.service_tokens import TECH_CONNECTIONS_WRITE, ServicePrincipal, require_scope
from services.objects.inn import normalize_inn
from services.platform.database import run
from services.platform.runtime import Runtime

MAX_ITEMS = 500
MAX_CAPACITY_KW = Decimal("99999999.99")


@dataclass(frozen=True, slots=True)
class TechConnectionItem:
    external_id: str
    request_number: str
    applicant_phone: str
    address: str
    capacity_kw: Decimal
    status: TechConnectionStatus
    connected_on: date | None = None


@dataclass(frozen=True, slots=True)
class UpsertResult:
    created: int
    updated: int


def _text_problem(value: str, *, limit: int, field: tuple[str, ...], what: str) -> Problem | None:
    if value.strip() and len(value) <= limit:
        return None
    return Problem(ErrorCode.INVALID_INPUT, f"{what}: от 1 до {limit} символов", field)


def _item_problems(index: int, item: TechConnectionItem, seen: set[str]) -> tuple[list[Problem], str | None]:
    path = ("input", "items", str(index))
    problems = [
        problem
        for problem in (
            _text_problem(item.external_id, limit=64, field=(*path, "externalId"), what="Идентификатор"),
            _text_problem(item.request_number, limit=64, field=(*path, "requestNumber"), what="Номер заявки"),
            _text_problem(item.address, limit=400, field=(*path, "address"), what="Адрес"),
        )
        if problem is not None
    ]
    if item.external_id in seen:
        problems.append(Problem(ErrorCode.INVALID_INPUT, "Идентификатор повторяется в пакете", (*path, "externalId")))
    seen.add(item.external_id)
    phone = normalize_phone(item.applicant_phone)
    if phone is None:
        problems.append(
            Problem(ErrorCode.INVALID_PHONE, "Телефон заявителя: +7 и 10 цифр мобильного", (*path, "applicantPhone"))
        )
    try:
        capacity_ok = Decimal(
            0
        ) < item.capacity_kw <= MAX_CAPACITY_KW and item.capacity_kw == item.capacity_kw.quantize(Decimal("0.01"))
    except InvalidOperation:
        capacity_ok = False
    if not capacity_ok:
        problems.append(
            Problem(
                ErrorCode.INVALID_INPUT,
                "Мощность — больше нуля, не больше двух знаков после запятой",
                (*path, "capacityKw"),
            )
        )
    return problems, phone


async def upsert_tech_connections(
    runtime: Runtime, *, principal: ServicePrincipal, grid_company_inn: str, items: list[TechConnectionItem]
) -> UpsertResult:
    require_scope(principal, TECH_CONNECTIONS_WRITE)
    now = runtime.clock.now()
    if len(items) > MAX_ITEMS:
        raise DomainError.single(ErrorCode.INVALID_INPUT, f"Не больше {MAX_ITEMS} записей за раз", "input", "items")
    problems: list[Problem] = []
    phones: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        item_problems, phone = _item_problems(index, item, seen)
        problems.extend(item_problems)
        phones.append(phone or "")
    async with runtime.db.session() as session:
        company = (
            await session.exec(select(GridCompany).where(GridCompany.inn == normalize_inn(grid_company_inn)))
        ).first()
        if company is None:
            problems.insert(
                0, Problem(ErrorCode.NOT_FOUND, "Сетевая компания с таким ИНН не найдена", ("input", "gridCompanyInn"))
            )
        if problems:
            raise DomainError(problems)
        if not items:
            return UpsertResult(created=0, updated=0)
        customers = await session.exec(
            select(Customer.phone, Customer.id).where(
                col(Customer.phone).in_(set(phones)), Customer.role == Role.CUSTOMER
            )
        )
        customer_by_phone = dict(customers.all())
        rows = [
            {
                "grid_company_id": company.id if company else None,
                "external_id": item.external_id,
                "request_number": item.request_number.strip(),
                "applicant_phone": phone,
                "customer_id": customer_by_phone.get(phone),
                "address": item.address.strip(),
                "capacity_kw": item.capacity_kw,
                "status": item.status,
                "connected_on": item.connected_on,
                "updated_at": now,
            }
            for item, phone in zip(items, phones, strict=True)
        ]
        table = TechConnection.__table__  # type: ignore[attr-defined]
        values = insert(table).values(rows)
        # `xmax = 0` is true for a row this statement inserted, false for one it updated.
        statement: ReturningInsert[Any] = values.on_conflict_do_update(
            index_elements=["grid_company_id", "external_id"],
            set_={name: values.excluded[name] for name in rows[0] if name not in ("grid_company_id", "external_id")},
        ).returning(sa.literal_column("(xmax = 0)").label("inserted"))
        inserted = [row.inserted for row in (await run(session, statement)).all()]
        await session.commit()
    created = sum(1 for flag in inserted if flag)
    return UpsertResult(created=created, updated=len(inserted) - created)

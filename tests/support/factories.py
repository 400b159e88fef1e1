"""Objects for tests, written through the real models in the test's transaction."""

from __future__ import annotations

import itertools
from datetime import date, datetime

from models import AccountLink, Customer, Meter, PersonalAccount
from models.enums import ObjectKind, Role, TariffCategory
from services.platform.database import Database
from services.platform.hashing import hash_password

DEFAULT_PASSWORD = "Secret2026pass"
_PASSWORD_HASH = hash_password(DEFAULT_PASSWORD)  # hashing is slow on purpose: once per test session
_sequence = itertools.count(1)


def unique_phone() -> str:
    return f"+7999{next(_sequence):07d}"


def unique_account_number() -> str:
    return f"8{next(_sequence):08d}"


async def create_customer(
    db: Database, *, now: datetime, role: Role = Role.CUSTOMER, phone: str | None = None, email: str | None = None
) -> Customer:
    customer = Customer(
        phone=phone or unique_phone(),
        email=email,
        email_verified=email is not None,
        password_hash=_PASSWORD_HASH,
        role=role,
        created_at=now,
        updated_at=now,
        privacy_policy_accepted_at=now,
    )
    async with db.session() as session:
        session.add(customer)
        await session.commit()
    return customer


async def create_account(
    db: Database, *, now: datetime, owner: Customer | None = None, number: str | None = None, zone_count: int = 1
) -> tuple[PersonalAccount, Meter]:
    """A flat with one meter, linked to `owner` when given."""
    account = PersonalAccount(
        number=number or unique_account_number(),
        address="г. Архангельск, пр-кт Троицкий, д. 1, кв. 1",
        locality="Архангельск",
        object_kind=ObjectKind.FLAT,
        tariff_category=TariffCategory.URBAN_GAS_STOVE,
        residents=2,
        benefit_recipients=0,
        in_apartment_building=True,
        opened_on=date(2020, 1, 1),
        created_at=now,
    )
    async with db.session() as session:
        session.add(account)
        await session.flush()
        meter = Meter(
            account_id=account.id,
            serial=f"0077910{next(_sequence):08d}",
            model="CE 101 R5 145",
            zone_count=zone_count,
            digits=6,
            installed_on=date(2020, 1, 1),
            verification_due_on=date(2032, 1, 1),
        )
        session.add(meter)
        if owner is not None:
            assert owner.id is not None
            assert account.id is not None
            session.add(AccountLink(customer_id=owner.id, account_id=account.id, linked_at=now))
        await session.commit()
    return account, meter

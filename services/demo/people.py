"""Customers and staff, their links to accounts and the activation codes on their receipts."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from models.enums import Role
from services.demo.activation import activation_code_row
from services.demo.bulk import IdCounters, Rows
from services.demo.credentials import (
    ADMIN_PASSWORD,
    ADMIN_PHONE,
    ANALYST_PASSWORD,
    ANALYST_PHONE,
    CUSTOMER_PASSWORD,
    DEMO_PASSWORD,
    DEMO_PHONE,
    OPERATOR_PASSWORD,
    OPERATOR_PHONE,
)
from services.demo.geography import email_for, person_name
from services.demo.households import AccountSpec
from services.demo.periods import DemoCalendar, local_datetime
from services.platform.hashing import hash_password

OTHER_CUSTOMERS = 49  # with the demo customer: 50 customers, plus three staff
STAFF: tuple[tuple[str, str, Role, str], ...] = (
    (OPERATOR_PHONE, OPERATOR_PASSWORD, Role.OPERATOR, "Смирнова Анна Викторовна"),
    (ANALYST_PHONE, ANALYST_PASSWORD, Role.ANALYST, "Федотов Игорь Николаевич"),
    (ADMIN_PHONE, ADMIN_PASSWORD, Role.ADMIN, "Шестаков Михаил Юрьевич"),
)
PASSWORDS = (DEMO_PASSWORD, CUSTOMER_PASSWORD, *(password for _, password, _, _ in STAFF))


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    phone: str
    full_name: str
    email: str | None
    created_at: datetime


async def hash_passwords(passwords: Iterable[str]) -> dict[str, str]:
    """argon2 is slow on purpose: hash each distinct password once, in threads, and share the hash."""
    distinct = sorted(set(passwords))
    hashes = await asyncio.gather(*(asyncio.to_thread(hash_password, password) for password in distinct))
    return dict(zip(distinct, hashes, strict=True))


def add_person(
    rows: Rows,
    ids: IdCounters,
    *,
    phone: str,
    full_name: str,
    password_hash: str,
    created_at: datetime,
    role: Role = Role.CUSTOMER,
    email: str | None = None,
    email_verified: bool = False,
) -> Person:
    person = Person(ids.take("customer"), phone, full_name, email, created_at)
    rows["customer"].append(
        (
            person.id,
            phone,
            email,
            email_verified,
            password_hash,
            role.value,
            full_name,
            created_at,
            created_at,
            created_at,
            None,
        )
    )
    return person


def add_link(
    rows: Rows, ids: IdCounters, rng: random.Random, *, person: Person, account_id: int, now: datetime
) -> None:
    span = max(int((now - person.created_at).total_seconds()) - 3600, 1)
    linked_at = person.created_at + timedelta(seconds=rng.randrange(span))
    electronic = person.email is not None and rng.random() < 0.5
    rows["account_link"].append(
        (ids.take("account_link"), person.id, account_id, linked_at, electronic, person.email if electronic else None)
    )


def add_activation_code(rows: Rows, ids: IdCounters, *, account_id: int, number: str, issued_on: date) -> None:
    """The code printed on the receipt issued on `issued_on`: valid for three months from then."""
    issued_at = local_datetime(issued_on)  # with the document, at the start of its day
    rows["activation_code"].append(activation_code_row(ids.take("activation_code"), account_id, number, issued_at))


def customer_email(rng: random.Random, full_name: str, serial: int) -> tuple[str | None, bool]:
    """About 60 % of customers gave an email, two thirds of them confirmed it."""
    draw = rng.random()
    if draw >= 0.6:
        return None, False
    return email_for(full_name, serial), draw < 0.4


@dataclass(frozen=True, slots=True)
class DemoPeople:
    demo: Person
    operator: Person
    others: list[Person]  # customers; the first is the demo customer's wife


def add_demo_people(
    rows: Rows, ids: IdCounters, rng: random.Random, *, calendar: DemoCalendar, password_hashes: dict[str, str]
) -> DemoPeople:
    now = calendar.now
    demo = add_person(
        rows,
        ids,
        phone=DEMO_PHONE,
        full_name="Иванов Пётр Сергеевич",
        password_hash=password_hashes[DEMO_PASSWORD],
        created_at=now - timedelta(days=420),
        email="p.ivanov@example.org",
        email_verified=True,
    )
    staff = {
        role: add_person(
            rows,
            ids,
            phone=phone,
            full_name=name,
            password_hash=password_hashes[password],
            created_at=now - timedelta(days=900),
            role=role,
        )
        for phone, password, role, name in STAFF
    }
    others = _other_customers(rows, ids, rng, calendar, password_hashes[CUSTOMER_PASSWORD])
    return DemoPeople(demo=demo, operator=staff[Role.OPERATOR], others=others)


def _other_customers(
    rows: Rows, ids: IdCounters, rng: random.Random, calendar: DemoCalendar, password_hash: str
) -> list[Person]:
    people = []
    for serial, suffix in enumerate(rng.sample(range(1_000_000, 10_000_000), OTHER_CUSTOMERS), start=1):
        # The first one is the demo customer's wife: the family shares the flat's account.
        name = "Иванова Ольга Николаевна" if serial == 1 else person_name(rng)
        email, verified = customer_email(rng, name, serial)
        people.append(
            add_person(
                rows,
                ids,
                phone=f"+7921{suffix}",
                full_name=name,
                password_hash=password_hash,
                created_at=calendar.now - timedelta(days=rng.randint(30, 700), minutes=rng.randint(0, 1439)),
                email=email,
                email_verified=verified,
            )
        )
    return people


def link_accounts(
    rows: Rows,
    ids: IdCounters,
    rng: random.Random,
    *,
    now: datetime,
    people: DemoPeople,
    accounts: list[AccountSpec],
) -> dict[int, int]:
    """Links every customer to 1-4 accounts, the demo customer to the first three; returns account id → the first
    customer linked (who pays through the portal)."""
    linked: dict[int, int] = {}

    def link(person: Person, spec: AccountSpec) -> None:
        add_link(rows, ids, rng, person=person, account_id=spec.id, now=now)
        linked.setdefault(spec.id, person.id)

    for spec in accounts[:3]:
        link(people.demo, spec)
    wife, *rest = people.others
    link(wife, accounts[0])
    pool = accounts[3:]
    rng.shuffle(pool)
    for person in rest:
        for _ in range(rng.choices((1, 2, 3, 4), cum_weights=(45, 75, 90, 100))[0]):
            link(person, pool.pop())
    # A second family: the husband's first account is linked by his wife too.
    husband_first = next(spec for spec in accounts if linked.get(spec.id) == rest[0].id)
    link(rest[1], husband_first)
    return linked

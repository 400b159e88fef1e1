"""A small town for the analysts' aggregates: four accounts in a locality of their own (so that the demo data is
filtered out), with charges, statements, payments, debts, readings, submissions, appeals and smart-meter hours whose
aggregates the tests compute by hand. The numbers are in the comments next to the rows that make them.

The moment: TEST_NOW, 2026-11-26 09:00 UTC, 12:00 in Moscow; "today" is 2026-11-26.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from models import (
    AccountDebt,
    AccountLink,
    Appeal,
    AppealMessage,
    Charge,
    IsuHourlyProfile,
    Meter,
    MeteringPoint,
    Payment,
    PersonalAccount,
    Reading,
    ReadingSubmission,
    Statement,
)
from models.enums import (
    AppealStatus,
    AppealTargetKind,
    AppealTopic,
    ChargeKind,
    ObjectKind,
    PaymentMethod,
    PaymentStatus,
    ReadingSource,
    ReadingStatus,
    Role,
    SubmissionStatus,
    TariffCategory,
    TariffZone,
)
from services.platform.database import Database
from tests.support.factories import create_customer

_numbers = itertools.count(1)
SEP, OCT, NOV = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)


@dataclass
class Town:
    locality: str
    flat_a: int
    flat_b: int
    house_c: int
    flat_d: int
    point_a: int


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


async def build_town(db: Database, *, now: datetime) -> Town:
    locality = f"Тестоград-{uuid.uuid4().hex[:8]}"
    anna = await create_customer(db, now=now)
    boris = await create_customer(db, now=now)
    vera = await create_customer(db, now=now)
    operator = await create_customer(db, now=now, role=Role.OPERATOR)
    async with db.session() as session:

        def account(kind: ObjectKind, category: TariffCategory) -> PersonalAccount:
            row = PersonalAccount(
                number=f"7{next(_numbers):08d}",
                address=f"{locality}, ул. Лесная, д. 1",
                locality=locality,
                object_kind=kind,
                tariff_category=category,
                opened_on=date(2020, 1, 1),
                created_at=now,
            )
            session.add(row)
            return row

        flat_a = account(ObjectKind.FLAT, TariffCategory.URBAN_GAS_STOVE)
        flat_b = account(ObjectKind.FLAT, TariffCategory.URBAN_ELECTRIC_STOVE)
        house_c = account(ObjectKind.PRIVATE_HOUSE, TariffCategory.RURAL)
        flat_d = account(ObjectKind.FLAT, TariffCategory.URBAN_GAS_STOVE)
        await session.flush()
        a, b, c, d = (row.id for row in (flat_a, flat_b, house_c, flat_d))
        assert a is not None
        assert b is not None
        assert c is not None
        assert d is not None
        assert anna.id is not None
        assert boris.id is not None
        assert vera.id is not None
        assert operator.id is not None

        meters = {
            account_id: Meter(
                account_id=account_id,
                serial=f"TG{next(_numbers):010d}",
                model="CE 101",
                zone_count=zones,
                digits=6,
                installed_on=date(2020, 1, 1),
            )
            for account_id, zones in ((a, 1), (b, 2), (c, 1), (d, 1))
        }
        session.add_all(meters.values())
        # Links: anna to a and b since 2025, vera to d from 2026-09-10, boris to c from 2026-10-05 (local).
        session.add_all(
            [
                AccountLink(customer_id=anna.id, account_id=a, linked_at=_utc("2025-03-01T12:00:00+03:00")),
                AccountLink(customer_id=anna.id, account_id=b, linked_at=_utc("2025-04-01T12:00:00+03:00")),
                AccountLink(customer_id=vera.id, account_id=d, linked_at=_utc("2026-09-10T12:00:00+03:00")),
                AccountLink(customer_id=boris.id, account_id=c, linked_at=_utc("2026-10-05T12:00:00+03:00")),
            ]
        )
        await session.flush()

        def charge(
            account_id: int, period: date, zone: TariffZone, kwh: int, kopecks: int, *, kind: ChargeKind
        ) -> None:
            session.add(
                Charge(
                    account_id=account_id,
                    period=period,
                    zone=zone,
                    kind=kind,
                    volume_kwh=kwh,
                    rate_kopecks=500,
                    amount=kopecks,
                )
            )

        consumption, recalculation = ChargeKind.CONSUMPTION, ChargeKind.RECALCULATION
        single, day, night = TariffZone.SINGLE, TariffZone.DAY, TariffZone.NIGHT
        charge(a, SEP, single, 100, 50_000, kind=consumption)
        charge(b, SEP, day, 150, 60_000, kind=consumption)
        charge(b, SEP, night, 50, 10_000, kind=consumption)
        charge(c, SEP, single, 300, 90_000, kind=consumption)
        charge(a, OCT, single, 120, 60_000, kind=consumption)
        charge(a, OCT, single, -10, -5_000, kind=recalculation)
        charge(b, OCT, day, 160, 64_000, kind=consumption)
        charge(b, OCT, night, 40, 8_000, kind=consumption)
        charge(c, date(2026, 8, 1), single, 1000, 1_000_000, kind=consumption)  # before the months asked for

        def statement(account_id: int, period: date, billed: int, due_on: date, recalculated: int = 0) -> None:
            session.add(
                Statement(
                    account_id=account_id,
                    period=period,
                    charged=billed - recalculated,
                    recalculated=recalculated,
                    closing_balance=billed,
                    issued_on=due_on - timedelta(days=10),
                    due_on=due_on,
                    created_at=now,
                )
            )

        # Debts are laid over the newest statements; "today" is 2026-11-26.
        statement(a, SEP, 50_000, date(2026, 10, 15))  # 42 days overdue: 25,000 of a's 80,000 (31-90)
        statement(a, OCT, 55_000, date(2026, 11, 15), recalculated=-5_000)  # 11 days: 55,000 (0-30)
        statement(b, date(2026, 8, 1), 70_000, date(2026, 9, 15))
        statement(b, SEP, 70_000, date(2026, 10, 15))
        statement(b, OCT, 72_000, date(2026, 11, 15))  # b's 30,000 all here (0-30)
        statement(c, date(2026, 7, 1), 90_000, date(2026, 8, 15))  # the oldest: the rest, 110,000 (103 days: 91+)
        statement(c, SEP, 90_000, date(2026, 10, 15))  # 90,000 (31-90)
        # d: the edges of the buckets, each statement fully owed.
        statement(d, date(2026, 6, 1), 1_001, date(2026, 8, 27))  # 91 days: 91+
        statement(d, date(2026, 7, 1), 1_002, date(2026, 8, 28))  # 90 days: 31-90
        statement(d, date(2026, 8, 1), 1_003, date(2026, 10, 26))  # 31 days: 31-90
        statement(d, SEP, 1_004, date(2026, 10, 27))  # 30 days: 0-30
        statement(d, OCT, 1_005, date(2026, 11, 26))  # due today: not yet overdue
        for account_id, debt in ((a, 80_000), (b, 30_000), (c, 200_000), (d, 5_015)):
            session.add(AccountDebt(account_id=account_id, electricity=debt, penalty=700, updated_at=now))

        def payment(account_id: int, kopecks: int, method: PaymentMethod, paid_at: str, status: PaymentStatus) -> None:
            session.add(
                Payment(
                    account_id=account_id,
                    amount=kopecks,
                    electricity=kopecks,
                    method=method,
                    status=status,
                    created_at=_utc(paid_at),
                    paid_at=_utc(paid_at) if status is PaymentStatus.SUCCEEDED else None,
                )
            )

        ok = PaymentStatus.SUCCEEDED
        payment(a, 10_000, PaymentMethod.SBP, "2026-10-01T00:30:00+03:00", ok)  # 2026-09-30 21:30 UTC: October
        payment(a, 20_000, PaymentMethod.CARD, "2026-10-10T12:00:00+03:00", ok)
        payment(b, 30_000, PaymentMethod.SBP, "2026-10-15T12:00:00+03:00", ok)
        payment(c, 40_000, PaymentMethod.BANK, "2026-09-05T12:00:00+03:00", ok)
        payment(a, 99_999, PaymentMethod.SBP, "2026-10-20T12:00:00+03:00", PaymentStatus.FAILED)
        payment(b, 88_888, PaymentMethod.CARD, "2026-10-21T12:00:00+03:00", PaymentStatus.PENDING)
        payment(c, 77_777, PaymentMethod.CARD, "2026-11-01T00:00:00+03:00", ok)  # November: outside

        def reading(
            account_id: int, period: date, zone: TariffZone, source: ReadingSource, status: ReadingStatus
        ) -> None:
            meter_id = meters[account_id].id
            assert meter_id is not None
            session.add(
                Reading(
                    meter_id=meter_id,
                    zone=zone,
                    value=1000,
                    taken_on=period + timedelta(days=20),
                    period=period,
                    source=source,
                    status=status,
                    created_at=now,
                )
            )

        accepted = ReadingStatus.ACCEPTED
        reading(a, SEP, single, ReadingSource.CUSTOMER, status=accepted)
        reading(b, SEP, day, ReadingSource.CUSTOMER, status=accepted)
        reading(b, SEP, night, ReadingSource.CUSTOMER, status=accepted)
        reading(c, SEP, single, ReadingSource.CONTROL_INSPECTION, status=accepted)
        reading(c, SEP, single, ReadingSource.CUSTOMER, status=ReadingStatus.ANNULLED)
        reading(a, OCT, single, ReadingSource.CUSTOMER, status=accepted)
        reading(b, OCT, day, ReadingSource.UTILITY_PROVIDER, status=accepted)
        reading(b, OCT, night, ReadingSource.UTILITY_PROVIDER, status=accepted)

        def submission(account_id: int, customer_id: int, period: date) -> None:
            meter_id = meters[account_id].id
            assert meter_id is not None
            at = datetime.combine(period + timedelta(days=18), datetime.min.time(), tzinfo=UTC)
            session.add(
                ReadingSubmission(
                    meter_id=meter_id,
                    account_id=account_id,
                    customer_id=customer_id,
                    idempotency_key=uuid.uuid4().hex,
                    status=SubmissionStatus.PROCESSED,
                    period=period,
                    submitted_at=at,
                    status_changed_at=at,
                )
            )

        submission(a, anna.id, SEP)  # September: anna (twice: a and b) of anna and vera
        submission(b, anna.id, SEP)
        submission(c, boris.id, OCT)  # October: boris of anna, vera and boris

        async def appeal(
            customer_id: int, account_id: int, topic: AppealTopic, created: str, reply_minutes: int | None
        ) -> None:
            created_at = _utc(created)
            row = Appeal(
                customer_id=customer_id,
                target_kind=AppealTargetKind.ACCOUNT,
                account_id=account_id,
                target_number="x",
                topic=topic,
                status=AppealStatus.OPEN if reply_minutes is None else AppealStatus.ANSWERED,
                created_at=created_at,
                last_message_at=created_at,
            )
            session.add(row)
            await session.flush()
            assert row.id is not None
            messages = [(customer_id, Role.CUSTOMER, 0), (customer_id, Role.CUSTOMER, 5)]
            if reply_minutes is not None:
                messages += [(operator.id or 0, Role.OPERATOR, reply_minutes), (operator.id or 0, Role.OPERATOR, 600)]
            for author, role, minutes in messages:
                session.add(
                    AppealMessage(
                        appeal_id=row.id,
                        author_id=author,
                        author_role=role,
                        text="…",
                        created_at=created_at + timedelta(minutes=minutes),
                    )
                )

        # First replies after 10, 20, 30 and 40 minutes: p50 = 25 min = 1500 s, p90 = 30 + 0.7 × 10 = 37 min = 2220 s.
        await appeal(anna.id, a, AppealTopic.LK_QUESTION, "2026-10-01T10:00:00+03:00", 10)
        await appeal(anna.id, b, AppealTopic.LK_QUESTION, "2026-10-02T10:00:00+03:00", 20)
        await appeal(anna.id, a, AppealTopic.LK_QUESTION, "2026-10-03T10:00:00+03:00", 30)
        await appeal(boris.id, c, AppealTopic.LK_QUESTION, "2026-10-04T10:00:00+03:00", 40)
        await appeal(boris.id, c, AppealTopic.ISU_QUESTION, "2026-10-05T10:00:00+03:00", None)
        await appeal(boris.id, c, AppealTopic.OTHER, "2026-11-02T10:00:00+03:00", None)  # November: outside

        points = []
        for account_id in (a, b):
            meter_id = meters[account_id].id
            assert meter_id is not None
            point = MeteringPoint(
                meter_id=meter_id,
                account_id=account_id,
                code=f"TGP{next(_numbers):09d}",
                delivery_point_code="x",
                address=locality,
                connected_on=date(2024, 1, 1),
            )
            session.add(point)
            points.append(point)
        await session.flush()
        point_a, point_b = (point.id for point in points)
        assert point_a is not None
        assert point_b is not None
        # Local 08:00 on Monday 5, Tuesday 6 and Saturday 10 October, 09:00 on Monday 5; b at 08:00 on Monday 5.
        # Autumn weekday 08:00: (500 + 700 + 300) / 3 = 500.0 over 2 points; 09:00: 100.0; weekend 08:00: 900.0.
        for point_id, local, wh in (
            (point_a, "2026-10-05T08:00:00+03:00", 500),
            (point_a, "2026-10-06T08:00:00+03:00", 700),
            (point_a, "2026-10-10T08:00:00+03:00", 900),
            (point_a, "2026-10-05T09:00:00+03:00", 100),
            (point_b, "2026-10-05T08:00:00+03:00", 300),
            (point_b, "2026-11-05T08:00:00+03:00", 9999),  # November: outside
        ):
            session.add(IsuHourlyProfile(metering_point_id=point_id, hour=_utc(local), a_plus_wh=wh))
        await session.commit()
    return Town(locality=locality, flat_a=a, flat_b=b, house_c=c, flat_d=d, point_a=point_a)

"""The demo data set and the benchmark seed, checked on real databases of their own.

The module makes its databases itself (it does not use the shared session database): one loaded with the demo data,
a second one loaded the same way to compare with the first, and an empty one for the benchmark seed.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from models.enums import ZONES_BY_COUNT, AppealStatus, Role
from services.demo import (
    ADMIN_PASSWORD,
    ADMIN_PHONE,
    ANALYST_PASSWORD,
    ANALYST_PHONE,
    BENCH_PASSWORD,
    DEMO_PASSWORD,
    DEMO_PHONE,
    OPERATOR_PASSWORD,
    OPERATOR_PHONE,
    DatabaseNotEmptyError,
    DemoSummary,
    database_is_empty,
    demo_activation_code,
    list_unlinked_accounts,
    load_demo_data,
    seed_large,
)
from services.demo.activation import ACTIVATION_ALPHABET
from services.demo.bulk import COLUMNS
from services.platform.clock import LOCAL_TZ, FrozenClock
from services.platform.database import Database, to_async_url
from services.platform.hashing import hash_activation_code, verify_password
from services.platform.migrate import upgrade_to_head

pytestmark = pytest.mark.asyncio(loop_scope="module")

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Loaded:
    db: Database
    summary: DemoSummary


async def _admin(server_url: str, statement: str) -> None:
    url = make_url(to_async_url(server_url)).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _fresh_database(server_url: str) -> tuple[str, Database]:
    name = f"lk_demo_test_{uuid.uuid4().hex[:10]}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    url = make_url(to_async_url(server_url)).set(database=name).render_as_string(hide_password=False)
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await upgrade_to_head(connection)
    await engine.dispose()
    return name, Database.from_url(url, pool_size=2)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def databases(server_url: str) -> AsyncIterator[list[tuple[str, Database]]]:
    """Databases made by the module's fixtures, dropped at the end."""
    made: list[tuple[str, Database]] = []
    yield made
    for name, db in made:
        await db.dispose()
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def demo(databases: list[tuple[str, Database]], server_url: str) -> Loaded:
    databases.append(await _fresh_database(server_url))
    db = databases[-1][1]
    return Loaded(db, await load_demo_data(db=db, clock=FrozenClock(NOW)))


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def demo_again(databases: list[tuple[str, Database]], server_url: str) -> Loaded:
    databases.append(await _fresh_database(server_url))
    db = databases[-1][1]
    return Loaded(db, await load_demo_data(db=db, clock=FrozenClock(NOW)))


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def empty(databases: list[tuple[str, Database]], server_url: str) -> Database:
    databases.append(await _fresh_database(server_url))
    return databases[-1][1]


async def _all(db: Database, sql: str, **params: Any) -> list[Any]:
    async with db.connection() as connection:
        return list((await connection.execute(text(sql), params)).all())


async def _scalar(db: Database, sql: str, **params: Any) -> Any:
    async with db.connection() as connection:
        return (await connection.execute(text(sql), params)).scalar_one()


async def test_demo_data_has_fifty_customers_three_staff_and_two_hundred_accounts(demo: Loaded) -> None:
    roles = dict(await _all(demo.db, "SELECT role, count(*) FROM customer GROUP BY role"))
    numbers = [number for (number,) in await _all(demo.db, "SELECT number FROM personal_account")]
    without_meter = await _scalar(
        demo.db,
        "SELECT count(*) FROM personal_account a WHERE NOT EXISTS (SELECT 1 FROM meter WHERE account_id = a.id)",
    )

    assert roles == {Role.CUSTOMER: 50, Role.OPERATOR: 1, Role.ANALYST: 1, Role.ADMIN: 1}
    assert demo.summary.customers == 53
    assert demo.summary.accounts == len(numbers) == len(set(numbers)) == 200
    assert all(len(number) == 9 and number.startswith("29") and number.isdigit() for number in numbers)
    assert without_meter == 0
    assert demo.summary.readings == await _scalar(demo.db, "SELECT count(*) FROM reading")
    assert demo.summary.hourly_profile_rows == await _scalar(demo.db, "SELECT count(*) FROM isu_hourly_profile")


async def test_demo_and_staff_sign_in_with_the_published_passwords(demo: Loaded) -> None:
    people = {
        phone: (role, password_hash)
        for phone, role, password_hash in await _all(demo.db, "SELECT phone, role, password_hash FROM customer")
    }

    for phone, password, role in (
        (DEMO_PHONE, DEMO_PASSWORD, Role.CUSTOMER),
        (OPERATOR_PHONE, OPERATOR_PASSWORD, Role.OPERATOR),
        (ANALYST_PHONE, ANALYST_PASSWORD, Role.ANALYST),
        (ADMIN_PHONE, ADMIN_PASSWORD, Role.ADMIN),
    ):
        assert people[phone][0] == role
        assert verify_password(people[phone][1], password)
    assert not verify_password(people[DEMO_PHONE][1], OPERATOR_PASSWORD)
    assert all(phone.startswith("+7921") and len(phone) == 12 for phone in people)


async def test_demo_customer_has_three_households_a_contract_appeals_and_tech_connections(demo: Loaded) -> None:
    meters = await _all(
        demo.db,
        """
        SELECT m.zone_count, m.is_smart, a.object_kind FROM customer c
        JOIN account_link l ON l.customer_id = c.id JOIN personal_account a ON a.id = l.account_id
        JOIN meter m ON m.account_id = a.id WHERE c.phone = :phone ORDER BY m.zone_count
        """,
        phone=DEMO_PHONE,
    )
    counts = await _all(
        demo.db,
        """
        SELECT (SELECT count(*) FROM contract_link WHERE customer_id = c.id),
               (SELECT count(*) FROM appeal WHERE customer_id = c.id),
               (SELECT count(*) FROM tech_connection WHERE customer_id = c.id AND applicant_phone = c.phone)
        FROM customer c WHERE c.phone = :phone
        """,
        phone=DEMO_PHONE,
    )

    assert meters == [(1, False, "FLAT"), (2, True, "FLAT"), (3, False, "PRIVATE_HOUSE")]
    assert counts == [(1, 6, 2)]


def _inn_is_valid(inn: str) -> bool:
    digits = [int(character) for character in inn]

    def check(weights: tuple[int, ...]) -> int:
        return sum(weight * digit for weight, digit in zip(weights, digits, strict=False)) % 11 % 10

    if len(inn) == 10:
        return check((2, 4, 10, 3, 5, 9, 4, 6, 8)) == digits[9]
    return (
        len(inn) == 12
        and check((7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == digits[10]
        and check((3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == digits[11]
    )


async def test_families_contracts_and_tech_connections_are_linked_to_customers(demo: Loaded) -> None:
    links = await _all(
        demo.db,
        "SELECT count(l.id) FROM customer c LEFT JOIN account_link l ON l.customer_id = c.id "
        "WHERE c.role = 'CUSTOMER' GROUP BY c.id",
    )
    shared = await _scalar(
        demo.db, "SELECT count(*) FROM (SELECT account_id FROM account_link GROUP BY 1 HAVING count(*) > 1) AS s"
    )
    contracts = await _all(
        demo.db,
        """
        SELECT c.number, c.inn, c.holder_kind, (SELECT count(*) FROM contract_link WHERE contract_id = c.id),
               (SELECT count(*) FROM meter m JOIN delivery_point p ON p.id = m.delivery_point_id
                WHERE p.contract_id = c.id AND m.account_id IS NULL)
        FROM contract c
        """,
    )
    other_inns = await _all(demo.db, "SELECT inn FROM grid_company UNION ALL SELECT inn FROM utility_provider")
    tech = await _all(
        demo.db,
        "SELECT t.customer_id IS NOT NULL, c.phone = t.applicant_phone FROM tech_connection t "
        "LEFT JOIN customer c ON c.id = t.customer_id",
    )

    assert {count for (count,) in links} <= {1, 2, 3, 4}
    assert shared >= 2  # the demo customer's flat and one more family
    assert 3 <= len(contracts) <= 4
    for number, inn, holder_kind, _linked, meters in contracts:
        assert number.startswith("15-")
        assert len(number) == 9
        assert len(inn) == (10 if holder_kind == "LEGAL_ENTITY" else 12)
        assert _inn_is_valid(inn)
        assert meters >= 1
    assert sum(1 for *_, linked, _ in contracts if linked) >= 2
    assert all(_inn_is_valid(inn) for (inn,) in other_inns)
    assert sum(1 for matched, _ in tech if matched) >= 3
    assert all(same_phone for matched, same_phone in tech if matched)
    assert any(not matched for matched, _ in tech)


async def test_readings_never_decrease_but_for_one_register_that_wrapped(demo: Loaded) -> None:
    decreases = await _all(
        demo.db,
        """
        SELECT value, previous, digits FROM (
            SELECT r.value, m.digits, lag(r.value) OVER (PARTITION BY r.meter_id, r.zone ORDER BY r.period) AS previous
            FROM reading r JOIN meter m ON m.id = r.meter_id
        ) AS history WHERE value < previous
        """,
    )

    assert len(decreases) == 1
    value, previous, digits = decreases[0]
    # The register stood just below its capacity and went on from zero: a month's kWh, not a reset.
    assert previous > 10**digits - 1000
    assert value < 1000


async def test_every_statement_adds_up_and_opens_with_the_previous_closing(demo: Loaded) -> None:
    statements = await _all(
        demo.db,
        """
        SELECT s.account_id, s.period, s.opening_balance, s.charged, s.recalculated, s.paid, s.penalty,
               s.closing_balance, s.issued_on, s.due_on,
               coalesce((SELECT sum(amount) FROM charge WHERE statement_id = s.id AND kind = 'CONSUMPTION'), 0),
               coalesce((SELECT sum(amount) FROM charge WHERE statement_id = s.id AND kind = 'RECALCULATION'), 0),
               coalesce((SELECT sum(electricity + penalty) FROM payment p WHERE p.account_id = s.account_id
                   AND date_trunc('month', p.paid_at AT TIME ZONE 'Europe/Moscow')::date = s.period), 0)
        FROM statement s ORDER BY s.account_id, s.period
        """,
    )

    previous: dict[int, int] = {}
    per_account: dict[int, int] = {}
    for (
        account,
        period,
        opening,
        charged,
        recalculated,
        paid,
        penalty,
        closing,
        issued,
        due,
        consumption,
        corrections,
        payments,
    ) in statements:
        assert closing == opening + charged + recalculated + penalty - paid
        assert opening == previous.get(account, opening)
        assert (charged, recalculated, paid) == (consumption, corrections, payments)
        assert issued == date(period.year + period.month // 12, period.month % 12 + 1, 5)
        assert due == issued.replace(day=15 if issued >= date(2026, 3, 1) else 10)
        previous[account] = closing
        per_account[account] = per_account.get(account, 0) + 1
    assert set(per_account.values()) == {24}
    assert statements[-1][1] == date(2026, 10, 1)
    assert sum(1 for row in statements if row[4]) >= 5
    assert sum(1 for row in statements if row[6]) > 0


async def test_charges_are_reading_differences_times_the_tariff_of_their_period(demo: Loaded) -> None:
    wrong_volume = await _scalar(
        demo.db,
        """
        WITH deltas AS (
            SELECT m.account_id, r.zone, r.period, m.digits,
                   r.value - lag(r.value) OVER (PARTITION BY r.meter_id, r.zone ORDER BY r.period) AS delta
            FROM reading r JOIN meter m ON m.id = r.meter_id WHERE m.account_id IS NOT NULL
        ), volumes AS (
            SELECT account_id, zone, period,
                   sum((delta + power(10, digits)::bigint) % power(10, digits)::bigint) AS kwh
            FROM deltas WHERE delta IS NOT NULL GROUP BY account_id, zone, period
        )
        SELECT count(*) FROM charge c
        LEFT JOIN volumes v ON (v.account_id, v.zone, v.period) = (c.account_id, c.zone, c.period)
        WHERE c.kind = 'CONSUMPTION' AND v.kwh IS DISTINCT FROM c.volume_kwh
        """,
    )
    priced = await _all(
        demo.db,
        """
        SELECT count(*), count(t.id), count(*) FILTER (WHERE c.amount = c.volume_kwh * c.rate_kopecks)
        FROM charge c JOIN personal_account a ON a.id = c.account_id
        LEFT JOIN tariff t ON t.category = a.tariff_category AND t.zone = c.zone
            AND t.zone_count = (SELECT max(zone_count) FROM meter WHERE account_id = a.id)
            AND t.valid_from <= coalesce(c.recalculated_period, c.period)
            AND (t.valid_to IS NULL OR coalesce(c.recalculated_period, c.period) < t.valid_to)
            AND t.rate_kopecks = c.rate_kopecks
        """,
    )

    assert wrong_volume == 0
    total, at_tariff, multiplied = priced[0]
    assert total == at_tariff == multiplied == demo.summary.charges


async def test_payments_split_and_debts_agree_with_the_last_statement(demo: Loaded) -> None:
    bad_splits = await _scalar(
        demo.db, "SELECT count(*) FROM payment WHERE amount <> electricity + penalty + state_duty OR amount <= 0"
    )
    debts = await _all(
        demo.db,
        """
        SELECT d.electricity + d.penalty, s.closing_balance - coalesce((SELECT sum(electricity + penalty)
                   FROM payment p WHERE p.account_id = s.account_id AND p.paid_at >= '2026-10-31T21:00:00Z'), 0),
               d.state_duty, d.penalty
        FROM account_debt d JOIN statement s ON s.account_id = d.account_id AND s.period = '2026-10-01'
        """,
    )
    paid_duty = await _scalar(demo.db, "SELECT count(*) FROM payment WHERE state_duty > 0")

    assert bad_splits == 0
    assert len(debts) == 200
    assert all(owed == expected for owed, expected, _, _ in debts)
    in_debt = sum(1 for owed, _, _, _ in debts if owed > 0)
    assert 20 <= in_debt <= 45  # about 15 %
    assert any(penalty > 0 for _, _, _, penalty in debts)
    assert sum(1 for _, _, duty, _ in debts if duty > 0) + paid_duty == 2


async def test_tariffs_change_every_first_of_july_and_rise(demo: Loaded) -> None:
    tariffs = await _all(
        demo.db,
        "SELECT category, zone_count, zone, valid_from, valid_to, rate_kopecks FROM tariff "
        "ORDER BY category, zone_count, zone, valid_from",
    )
    chains: dict[tuple[str, int, str], list[tuple[date, date | None, int]]] = {}
    for category, zone_count, zone, valid_from, valid_to, rate in tariffs:
        chains.setdefault((category, zone_count, zone), []).append((valid_from, valid_to, rate))

    assert len(chains) == 4 * 6  # three household tariff groups and the organisations' price, six zones each
    assert chains[("URBAN_GAS_STOVE", 1, "SINGLE")][0] == (date(2023, 7, 1), date(2024, 7, 1), 606)
    for chain in chains.values():
        assert [valid_from for valid_from, _, _ in chain] == [date(year, 7, 1) for year in (2023, 2024, 2025, 2026)]
        assert [valid_to for _, valid_to, _ in chain] == [date(2024, 7, 1), date(2025, 7, 1), date(2026, 7, 1), None]
        rates = [rate for _, _, rate in chain]
        assert rates == sorted(rates)
        assert rates[-1] > rates[0] * 1.25
    two_zone = {
        zone: chain[-1][2]
        for (category, count, zone), chain in chains.items()
        if category == "URBAN_GAS_STOVE" and count == 2
    }
    assert two_zone["NIGHT"] < chains[("URBAN_GAS_STOVE", 1, "SINGLE")][-1][2] < two_zone["DAY"]


async def test_unlinked_accounts_come_with_printable_codes_and_one_has_expired(demo: Loaded) -> None:
    accounts = await list_unlinked_accounts(db=demo.db, clock=FrozenClock(NOW))
    unlinked = {
        number
        for (number,) in await _all(
            demo.db,
            "SELECT number FROM personal_account a "
            "WHERE NOT EXISTS (SELECT 1 FROM account_link WHERE account_id = a.id)",
        )
    }
    stored = {
        number: (code_hash, issued_at)
        for number, code_hash, issued_at in await _all(
            demo.db,
            "SELECT a.number, c.code_hash, c.issued_at FROM activation_code c JOIN personal_account a "
            "ON a.id = c.account_id",
        )
    }

    numbers = [account["number"] for account in accounts]
    assert numbers == sorted(numbers)
    assert set(numbers) <= unlinked
    valid = [account for account in accounts if not account["expired"]]
    expired = [account for account in accounts if account["expired"]]
    assert len(valid) >= 25
    assert len(expired) == 1
    for account in accounts:
        code = account["activationCode"]
        assert code == demo_activation_code(account["number"])
        assert len(code) == 8
        assert set(code) <= set(ACTIVATION_ALPHABET)
        assert stored[account["number"]][0] == hash_activation_code(code)
        expires_at = datetime.fromisoformat(account["expiresAt"])
        assert (expires_at <= NOW) is account["expired"]
    for account in valid:
        assert NOW - timedelta(days=31) <= stored[account["number"]][1] <= NOW
    linked_with_code = await _scalar(
        demo.db, "SELECT count(DISTINCT account_id) FROM activation_code c JOIN account_link l USING (account_id)"
    )
    assert linked_with_code > 0.6 * (200 - len(unlinked))


async def test_smart_meters_have_thirteen_months_of_consistent_profiles(demo: Loaded) -> None:
    points = await _all(
        demo.db,
        """
        SELECT p.id, m.zone_count, count(h.hour), min(h.hour), max(h.hour),
               count(DISTINCT date_trunc('month', h.hour AT TIME ZONE 'Europe/Moscow'))
        FROM meter m JOIN metering_point p ON p.meter_id = m.id JOIN isu_hourly_profile h ON h.metering_point_id = p.id
        WHERE m.is_smart GROUP BY p.id, m.zone_count
        """,
    )
    smart_meters = await _scalar(demo.db, "SELECT count(*) FROM meter WHERE is_smart")
    first_hour = datetime(2025, 11, 1, tzinfo=LOCAL_TZ)

    assert len(points) == smart_meters == 5
    for point_id, zone_count, hours, first, last, months in points:
        assert (first, last, months) == (first_hour, NOW - timedelta(hours=1), 13)
        assert hours == (NOW - first_hour) // timedelta(hours=1)
        await _check_registers(demo.db, point_id, zone_count)
        extremes = await _scalar(
            demo.db, "SELECT count(*) FROM isu_power_extreme WHERE metering_point_id = :p", p=point_id
        )
        assert extremes == 13 * 3 * 2
        categories = {
            category
            for (category,) in await _all(
                demo.db, "SELECT DISTINCT category FROM isu_event WHERE metering_point_id = :p", p=point_id
            )
        }
        assert {"ON_OFF", "EXTERNAL_IMPACT", "UNAUTHORIZED_ACCESS", "VOLTAGE"} <= categories


async def _check_registers(db: Database, point_id: int, zone_count: int) -> None:
    """Daily registers grow by each local day's hourly sums, TOTAL is the sum of the zone scales, ISU readings are
    the registers in whole kWh on their days."""
    days = await _all(
        db,
        """
        WITH hours AS (
            SELECT (hour AT TIME ZONE 'Europe/Moscow')::date AS day,
                   extract(hour FROM hour AT TIME ZONE 'Europe/Moscow') AS local_hour, a_plus_wh
            FROM isu_hourly_profile WHERE metering_point_id = :p
        ), days AS (
            SELECT day, sum(a_plus_wh) AS total,
                   sum(a_plus_wh) FILTER (WHERE local_hour >= 23 OR local_hour < 7) AS night
            FROM hours GROUP BY day
        )
        SELECT d.day, d.scale, d.a_plus_wh, d.r_plus_varh,
               lead(d.a_plus_wh) OVER (PARTITION BY d.scale ORDER BY d.day) - d.a_plus_wh,
               CASE d.scale WHEN 'TOTAL' THEN days.total WHEN 'T2' THEN days.night END
        FROM isu_daily_register d LEFT JOIN days ON days.day = d.day
        WHERE d.metering_point_id = :p ORDER BY d.day, d.scale
        """,
        p=point_id,
    )
    by_day: dict[date, dict[str, tuple[int, int]]] = {}
    for day, scale, a_plus, r_plus, growth, hourly_sum in days:
        by_day.setdefault(day, {})[scale] = (a_plus, r_plus)
        if growth is not None and (scale == "TOTAL" or (scale == "T2" and zone_count == 2)):
            assert growth == hourly_sum
    assert len(by_day) == (NOW.date() - date(2025, 11, 1)).days + 1
    for registers in by_day.values():
        assert set(registers) == {"TOTAL", *(f"T{index}" for index in range(1, zone_count + 1))}
        for channel in (0, 1):
            assert registers["TOTAL"][channel] == sum(
                value[channel] for scale, value in registers.items() if scale != "TOTAL"
            )
    readings = await _all(
        db,
        "SELECT r.zone, r.value, r.taken_on, r.source FROM reading r JOIN metering_point p ON p.meter_id = r.meter_id "
        "WHERE p.id = :p AND r.taken_on >= '2025-11-01'",
        p=point_id,
    )
    assert len(readings) == 13 * zone_count
    zone_scale = {zone.value: f"T{index}" for index, zone in enumerate(ZONES_BY_COUNT[zone_count], start=1)}
    for zone, value, taken_on, source in readings:
        assert source == "ISU"
        assert value == by_day[taken_on][zone_scale[zone]][0] // 1000


async def test_appeal_status_agrees_with_who_wrote_last(demo: Loaded) -> None:
    appeals = await _all(
        demo.db,
        """
        SELECT a.status, a.waiting_since, a.last_message_at, a.closed_at, a.created_at,
               (SELECT author_role FROM appeal_message WHERE appeal_id = a.id ORDER BY id DESC LIMIT 1),
               (SELECT max(created_at) FROM appeal_message WHERE appeal_id = a.id),
               (SELECT min(created_at) FROM appeal_message WHERE appeal_id = a.id),
               (SELECT count(*) FROM appeal_message WHERE appeal_id = a.id)
        FROM appeal a
        """,
    )

    assert 25 <= len(appeals) <= 35
    assert {row[0] for row in appeals} == set(AppealStatus)
    for status, waiting_since, last_at, closed_at, created_at, last_author, newest, oldest, count in appeals:
        assert (last_at, created_at) == (newest, oldest)
        assert last_at <= (closed_at or last_at) <= NOW
        if status in (AppealStatus.OPEN, AppealStatus.AWAITING_OPERATOR):
            assert (last_author, waiting_since) == (Role.CUSTOMER, last_at)
            assert (count == 1) is (status == AppealStatus.OPEN)
        else:
            assert (last_author, waiting_since) == (Role.OPERATOR, None)
            assert (closed_at is not None) is (status == AppealStatus.CLOSED)


async def test_the_same_moment_gives_the_same_data(demo: Loaded, demo_again: Loaded) -> None:
    assert demo.summary == demo_again.summary
    for table, columns in COLUMNS.items():
        # Password hashes are salted at random; everything else must match row for row.
        selected = ", ".join(column for column in columns if column != "password_hash")
        sql = (
            "SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) "
            f"FROM (SELECT {selected} FROM {table}) AS r"
        )
        assert await _scalar(demo.db, sql) == await _scalar(demo_again.db, sql), table


async def test_demo_data_goes_only_into_an_empty_database(demo: Loaded) -> None:
    assert not await database_is_empty(db=demo.db)

    with pytest.raises(DatabaseNotEmptyError):
        await load_demo_data(db=demo.db, clock=FrozenClock(NOW))

    assert await _scalar(demo.db, "SELECT count(*) FROM customer") == 53


async def test_seed_large_appends_the_accounts_it_reports(empty: Database) -> None:
    assert await database_is_empty(db=empty)

    first = await seed_large(db=empty, clock=FrozenClock(NOW), accounts=200)
    second = await seed_large(db=empty, clock=FrozenClock(NOW), accounts=30)

    counts = {table: await _scalar(empty, f"SELECT count(*) FROM {table}") for table in COLUMNS}
    assert (first.first_account_number, first.last_account_number) == ("500000001", "500000200")
    assert (second.first_account_number, second.last_account_number) == ("500000201", "500000230")
    assert counts["personal_account"] == first.accounts + second.accounts == 230
    for field, table in (
        ("customers", "customer"),
        ("readings", "reading"),
        ("charges", "charge"),
        ("statements", "statement"),
        ("payments", "payment"),
        ("account_debts", "account_debt"),
        ("account_links", "account_link"),
        ("meters", "meter"),
    ):
        assert getattr(first, field) + getattr(second, field) == counts[table], table
    assert counts["statement"] == 230 * 24
    assert counts["tariff"] == 96  # 4 tariff years × 4 groups (3 household, 1 organisations) × 6 zones
    assert counts["key_rate"] > 10
    assert first.total_rows + second.total_rows == sum(counts.values())
    per_customer = await _all(
        empty,
        "SELECT c.phone, c.password_hash, count(l.id) FROM customer c JOIN account_link l ON l.customer_id = c.id "
        "GROUP BY c.id ORDER BY c.phone",
    )
    assert {count for _, _, count in per_customer} <= {1, 2, 3, 4}
    assert 1.5 <= 230 / len(per_customer) <= 2.5
    assert [phone for phone, _, _ in per_customer] == [f"+7900{n:07d}" for n in range(1, len(per_customer) + 1)]
    assert verify_password(per_customer[0][1], BENCH_PASSWORD)
    unbalanced = await _scalar(
        empty,
        "SELECT count(*) FROM statement WHERE closing_balance <> opening_balance + charged + recalculated "
        "+ penalty - paid",
    )
    assert unbalanced == 0

"""Rows as plain tuples, written with COPY.

Generators append tuples to `Rows`; `copy_rows` streams them table by table in foreign-key order through asyncpg's
binary COPY on the connection of the caller's transaction. Ids are assigned in Python (`IdCounters`, from max(id) + 1
under a table lock), so that rows can point at each other before anything is written, and the sequences are moved
past them afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

Row = tuple[Any, ...]

# Only the columns the generators fill; the others keep their NULL. In the order COPY writes them (parents first).
COLUMNS: dict[str, tuple[str, ...]] = {
    "customer": (
        "id", "phone", "email", "email_verified", "password_hash", "role", "full_name",
        "privacy_policy_accepted_at", "created_at", "updated_at", "password_changed_at",
    ),
    "utility_provider": ("id", "name", "inn", "phone"),
    "grid_company": ("id", "name", "inn"),
    "personal_account": (
        "id", "number", "address", "locality", "object_kind", "tariff_category", "residents", "benefit_recipients",
        "area_m2", "utility_provider_id", "in_apartment_building", "opened_on", "created_at",
    ),
    "account_link": ("id", "customer_id", "account_id", "linked_at", "receipt_electronic", "receipt_email"),
    "activation_code": ("id", "account_id", "code_hash", "issued_at", "expires_at"),
    "contract": ("id", "number", "inn", "holder_name", "holder_kind", "signed_on", "created_at"),
    "contract_link": ("id", "customer_id", "contract_id", "linked_at"),
    "delivery_point": ("id", "contract_id", "name", "address", "max_capacity_kw"),
    "tech_connection": (
        "id", "grid_company_id", "external_id", "request_number", "applicant_phone", "customer_id", "address",
        "capacity_kw", "status", "connected_on", "updated_at",
    ),
    "meter": (
        "id", "account_id", "delivery_point_id", "serial", "model", "zone_count", "digits", "verification_due_on",
        "is_smart", "installed_on",
    ),
    "tariff": ("id", "category", "zone_count", "zone", "rate_kopecks", "valid_from", "valid_to"),
    "key_rate": ("valid_from", "rate_bp"),
    "consumption_norm": ("id", "object_kind", "residents", "kwh_per_resident", "valid_from"),
    "reading_submission": (
        "id", "meter_id", "account_id", "customer_id", "idempotency_key", "status", "reason", "period",
        "submitted_at", "status_changed_at", "reviewed_by_id",
    ),
    "submitted_value": ("id", "submission_id", "zone", "value", "consumption"),
    "reading": (
        "id", "meter_id", "zone", "value", "taken_on", "period", "source", "status", "submission_id", "external_id",
        "created_at",
    ),
    "statement": (
        "id", "account_id", "period", "opening_balance", "charged", "recalculated", "paid", "penalty",
        "closing_balance", "issued_on", "due_on", "created_at",
    ),
    "charge": (
        "id", "account_id", "statement_id", "period", "zone", "kind", "basis", "volume_kwh", "rate_kopecks", "amount",
        "recalculated_period",
    ),
    "payment": (
        "id", "account_id", "customer_id", "amount", "electricity", "penalty", "state_duty", "method", "status",
        "provider", "provider_payment_id", "created_at", "paid_at",
    ),
    "account_debt": ("account_id", "electricity", "penalty", "state_duty", "updated_at"),
    "appeal": (
        "id", "customer_id", "target_kind", "account_id", "contract_id", "tech_connection_id", "target_number",
        "topic", "status", "assigned_operator_id", "created_at", "last_message_at", "waiting_since", "closed_at",
        "customer_read_up_to", "operator_read_up_to",
    ),
    "appeal_message": ("id", "appeal_id", "author_id", "author_role", "text", "created_at"),
    "metering_point": (
        "id", "meter_id", "account_id", "code", "delivery_point_code", "address", "current_ratio", "voltage_ratio",
        "connected_on", "max_power_kw",
    ),
    "isu_hourly_profile": ("metering_point_id", "hour", "a_plus_wh", "a_minus_wh", "r_plus_varh", "r_minus_varh"),
    "isu_daily_register": (
        "metering_point_id", "day", "scale", "a_plus_wh", "a_minus_wh", "r_plus_varh", "r_minus_varh",
    ),
    "isu_power_extreme": ("id", "metering_point_id", "period", "quantity", "kind", "value", "occurred_at"),
    "isu_event": ("id", "metering_point_id", "occurred_at", "category", "code", "description"),
}  # fmt: skip
TABLES_WITH_ID: tuple[str, ...] = tuple(table for table, columns in COLUMNS.items() if columns[0] == "id")


class _CopyConnection(Protocol):
    """The part of asyncpg's connection used here (asyncpg ships no type hints)."""

    async def copy_records_to_table(
        self, table_name: str, *, records: Iterable[Row], columns: Iterable[str]
    ) -> str: ...


class Rows:
    """Generated rows per table; `rows["reading"].append((...))` in hot loops."""

    def __init__(self) -> None:
        self._rows: dict[str, list[Row]] = {table: [] for table in COLUMNS}
        self.written: dict[str, int] = dict.fromkeys(COLUMNS, 0)

    def __getitem__(self, table: str) -> list[Row]:
        return self._rows[table]

    def counts(self) -> dict[str, int]:
        return {table: self.written[table] + len(rows) for table, rows in self._rows.items()}

    async def copy_into(self, connection: AsyncConnection) -> None:
        """COPY every pending row on `connection` (inside its transaction), parents first, then forget them."""
        # SQLAlchemy's asyncpg adapter begins its transaction lazily, at the first statement it runs; callers have run
        # one by now (the lock), so the COPY below belongs to that transaction and not to an implicit one of its own.
        raw = await connection.get_raw_connection()
        driver: _CopyConnection = raw.driver_connection  # type: ignore[assignment]
        for table, rows in self._rows.items():
            if rows:
                await driver.copy_records_to_table(table, records=rows, columns=COLUMNS[table])
                self.written[table] += len(rows)
                rows.clear()


class IdCounters:
    """The next free id per table; reserved from max(id) + 1, so the caller must hold the tables' lock."""

    def __init__(self, first: dict[str, int]) -> None:
        self._next = dict(first)

    @classmethod
    async def after_existing(cls, connection: AsyncConnection) -> IdCounters:
        union = " UNION ALL ".join(
            f"SELECT '{table}', coalesce(max(id), 0) + 1 FROM {table}" for table in TABLES_WITH_ID
        )
        result = await connection.execute(text(union))
        return cls({str(table): int(first) for table, first in result.all()})

    def take(self, table: str, count: int = 1) -> int:
        """Reserve `count` consecutive ids; returns the first."""
        first = self._next[table]
        self._next[table] = first + count
        return first

    def peek(self, table: str) -> int:
        return self._next[table]


async def lock_tables(connection: AsyncConnection) -> None:
    """Keep other writers out of the tables being filled until commit; readers go on.

    SHARE ROW EXCLUSIVE conflicts with itself and with ordinary inserts, so a second loader (another server process
    starting at the same moment) waits and then sees the data instead of inserting it twice.
    """
    await connection.exec_driver_sql(f"LOCK TABLE {', '.join(COLUMNS)} IN SHARE ROW EXCLUSIVE MODE")


async def move_sequences_past_rows(connection: AsyncConnection, tables: Iterable[str]) -> None:
    for table in tables:
        await connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} HAVING max(id) IS NOT NULL"
        )


@asynccontextmanager
async def transaction(connection: AsyncConnection) -> AsyncIterator[None]:
    """Commit at the end, or, on a connection already in a transaction (the tests'), a savepoint within it."""
    if connection.in_transaction():
        async with connection.begin_nested():
            yield
    else:
        async with connection.begin():
            yield

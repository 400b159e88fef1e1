"""What a loader inserted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Summary field → table.
_TABLES = {
    "customers": "customer",
    "accounts": "personal_account",
    "account_links": "account_link",
    "activation_codes": "activation_code",
    "contracts": "contract",
    "delivery_points": "delivery_point",
    "tech_connections": "tech_connection",
    "meters": "meter",
    "tariffs": "tariff",
    "readings": "reading",
    "reading_submissions": "reading_submission",
    "charges": "charge",
    "statements": "statement",
    "payments": "payment",
    "account_debts": "account_debt",
    "appeals": "appeal",
    "appeal_messages": "appeal_message",
    "metering_points": "metering_point",
    "hourly_profile_rows": "isu_hourly_profile",
    "daily_register_rows": "isu_daily_register",
    "power_extremes": "isu_power_extreme",
    "isu_events": "isu_event",
}


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """Rows inserted per kind; `total_rows` counts every table, the ones without a field here included."""

    customers: int = 0
    accounts: int = 0
    account_links: int = 0
    activation_codes: int = 0
    contracts: int = 0
    delivery_points: int = 0
    tech_connections: int = 0
    meters: int = 0
    tariffs: int = 0
    readings: int = 0
    reading_submissions: int = 0
    charges: int = 0
    statements: int = 0
    payments: int = 0
    account_debts: int = 0
    appeals: int = 0
    appeal_messages: int = 0
    metering_points: int = 0
    hourly_profile_rows: int = 0
    daily_register_rows: int = 0
    power_extremes: int = 0
    isu_events: int = 0
    total_rows: int = 0
    first_account_number: str | None = None
    last_account_number: str | None = None

    @classmethod
    def from_counts(cls, counts: Mapping[str, int], *, account_numbers: tuple[str, str] | None = None) -> DemoSummary:
        first, last = account_numbers if account_numbers else (None, None)
        return cls(
            **{field: counts.get(table, 0) for field, table in _TABLES.items()},
            total_rows=sum(counts.values()),
            first_account_number=first,
            last_account_number=last,
        )

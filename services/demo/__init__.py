"""Deterministic demo data and a large data set for benchmarks.

`load_demo_data` fills an empty database with about fifty customers, two hundred personal accounts and two years of
their history (readings, charges, statements, payments, debts), contracts, tech connections, appeals and smart-meter
data, all as of the clock's `now`. `seed_large` appends any number of benchmark accounts through COPY.
"""

from services.demo.activation import UnlinkedAccount, demo_activation_code, list_unlinked_accounts
from services.demo.credentials import (
    ADMIN_PASSWORD,
    ADMIN_PHONE,
    ANALYST_PASSWORD,
    ANALYST_PHONE,
    BENCH_PASSWORD,
    CUSTOMER_PASSWORD,
    DEMO_PASSWORD,
    DEMO_PHONE,
    OPERATOR_PASSWORD,
    OPERATOR_PHONE,
)
from services.demo.large import SeedRangeExhaustedError, seed_large
from services.demo.loader import DatabaseNotEmptyError, database_is_empty, load_demo_data
from services.demo.summary import DemoSummary

__all__ = [
    "ADMIN_PASSWORD",
    "ADMIN_PHONE",
    "ANALYST_PASSWORD",
    "ANALYST_PHONE",
    "BENCH_PASSWORD",
    "CUSTOMER_PASSWORD",
    "DEMO_PASSWORD",
    "DEMO_PHONE",
    "OPERATOR_PASSWORD",
    "OPERATOR_PHONE",
    "DatabaseNotEmptyError",
    "DemoSummary",
    "SeedRangeExhaustedError",
    "UnlinkedAccount",
    "database_is_empty",
    "demo_activation_code",
    "list_unlinked_accounts",
    "load_demo_data",
    "seed_large",
]

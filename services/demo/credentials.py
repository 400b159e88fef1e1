"""Who can sign in to the demo and benchmark data: printed in the README and used by tests and benchmarks."""

from __future__ import annotations

DEMO_PHONE = "+79210000001"
DEMO_PASSWORD = "Demo2026pass"
OPERATOR_PHONE = "+79210000002"
OPERATOR_PASSWORD = "Operator2026pass"
ANALYST_PHONE = "+79210000003"
ANALYST_PASSWORD = "Analyst2026pass"
ADMIN_PHONE = "+79210000004"
ADMIN_PASSWORD = "Admin2026pass"
# Every other demo customer shares one password, so that loading hashes it once.
CUSTOMER_PASSWORD = "Customer2026pass"
# Benchmark customers (phones +7900XXXXXXX) share this one.
BENCH_PASSWORD = "Bench2026pass"
BENCH_PHONE_PREFIX = "+7900"

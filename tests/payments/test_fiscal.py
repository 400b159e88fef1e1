"""The 54-ФЗ receipt lines of a portal payment: VAT by the date of payment, advance split off, penalty without VAT."""

from __future__ import annotations

from datetime import date

import pytest

from services.payments.fiscal import electricity_vat_code, receipt_items


@pytest.mark.parametrize(
    ("on", "advance", "code"),
    [
        (date(2025, 12, 31), False, 4),  # 20 %
        (date(2025, 12, 31), True, 6),  # 20/120
        (date(2026, 1, 1), False, 11),  # 22 % (Federal Law № 425-ФЗ)
        (date(2026, 1, 1), True, 12),  # 22/122
    ],
)
def test_electricity_vat_changes_on_the_first_of_january_2026(on: date, advance: bool, code: int) -> None:
    assert electricity_vat_code(on=on, advance=advance) == code


def test_lines_add_up_to_the_payment_and_split_the_advance_from_the_debt() -> None:
    items = receipt_items(
        account_number="100000001",
        electricity=200_000,
        penalty=1_250,
        state_duty=30_000,
        owed_electricity=184_250,
        on=date(2026, 11, 26),
    )

    assert [(item.amount, item.payment_mode, item.payment_subject, item.vat_code) for item in items] == [
        (184_250, "full_payment", "service", 11),
        (15_750, "advance", "service", 12),
        (1_250, "full_payment", "another", 1),
        (30_000, "full_payment", "another", 1),
    ]
    assert sum(item.amount for item in items) == 231_250


def test_an_account_in_credit_pays_only_an_advance() -> None:
    items = receipt_items(
        account_number="100000001",
        electricity=5_000,
        penalty=0,
        state_duty=0,
        owed_electricity=-300,
        on=date(2026, 5, 1),
    )

    assert [(item.amount, item.payment_mode) for item in items] == [(5_000, "advance")]

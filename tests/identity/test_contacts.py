"""Phones as people type them become E.164; only Russian mobile numbers pass. Emails get a sane check."""

from __future__ import annotations

import pytest

from services.identity.contacts import mask_email, mask_phone, normalize_email, normalize_phone


@pytest.mark.parametrize(
    "typed",
    ["+7-999-999-99-99", "+7 (999) 999 99 99", "89999999999", "79999999999", "9999999999", " 8 999 999-99-99 "],
)
def test_the_usual_ways_of_typing_a_mobile_number_are_accepted(typed: str) -> None:
    assert normalize_phone(typed) == "+79999999999"


@pytest.mark.parametrize(
    "typed",
    ["+7 495 123 45 67", "+7 701 123 45 67", "+1 555 010 0000", "+7999999999", "+7 999 ABC 99 99", "", "8+9999999999"],
)
def test_landlines_foreign_and_malformed_numbers_are_refused(typed: str) -> None:
    assert normalize_phone(typed) is None


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("Ivanov@Mail.RU", "Ivanov@mail.ru"), (" i.ivanov+lk@gmail.com ", "i.ivanov+lk@gmail.com")],
)
def test_plausible_emails_are_accepted_with_the_domain_lower_cased(typed: str, stored: str) -> None:
    assert normalize_email(typed) == stored


@pytest.mark.parametrize(
    "typed", ["ivanov@mail", "ivanov mail.ru", "a b@mail.ru", ".a@mail.ru", "a..b@mail.ru", "@mail.ru"]
)
def test_implausible_emails_are_refused(typed: str) -> None:
    assert normalize_email(typed) is None


def test_masks_keep_enough_to_tell_apart() -> None:
    assert mask_phone("+79210000001") == "+7921***0001"
    assert mask_email("ivanov@mail.ru") == "i***@mail.ru"

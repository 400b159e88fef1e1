"""Phones and emails as users type them: parsed, checked and normalised (phones to E.164), and masked for analysts."""

from __future__ import annotations

import re

import phonenumbers

_PHONE_CHARACTERS = re.compile(r"[0-9+\-()\s]+")
# Local part: printable ASCII without spaces, quotes or brackets; domain: dot-separated labels, a TLD of letters.
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def normalize_phone(raw: str) -> str | None:
    """A Russian mobile number (+7 9XX …) in E.164, or None.

    Accepts `+7-999-999-99-99`, `+7 (999) 999 99 99`, `89999999999`, `79999999999` and `9999999999`.
    """
    text = raw.strip()
    if not text or not _PHONE_CHARACTERS.fullmatch(text) or text.count("+") > 1 or "+" in text[1:]:
        return None
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        if not digits.startswith("7"):
            return None
    elif len(digits) == 11 and digits[0] in "78":
        digits = "7" + digits[1:]
    elif len(digits) == 10:
        digits = "7" + digits
    else:
        return None
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    national = str(number.national_number)
    if number.country_code != 7 or len(national) != 10 or not national.startswith("9"):
        return None
    if phonenumbers.region_code_for_number(number) != "RU" or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str | None:
    """The address with its domain lower-cased, or None when it is not a plausible address."""
    text = raw.strip()
    if len(text) > 254 or not _EMAIL.fullmatch(text) or ".." in text:
        return None
    local, _, domain = text.rpartition("@")
    if local.startswith(".") or local.endswith("."):
        return None
    return f"{local}@{domain.lower()}"


def mask_phone(phone: str) -> str:
    """`+79210000001` → `+7921***0001`: enough to tell numbers apart, not enough to call."""
    if len(phone) < 9:
        return "***"
    return f"{phone[:5]}***{phone[-4:]}"


def mask_email(email: str) -> str:
    """`ivanov@mail.ru` → `i***@mail.ru`."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}" if local else "***"

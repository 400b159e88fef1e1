"""Domain errors: a stable English code and a Russian message for the end user.

Services raise `DomainError`; resolvers turn it into `UserError`s of the mutation's payload. Nothing is changed when a
`DomainError` is raised: services validate before they write, and the unit of work rolls back on any exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    # input in general
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"  # an integration's token lacks the scope the write needs
    # identity
    INVALID_PHONE = "INVALID_PHONE"
    PASSWORD_TOO_WEAK = "PASSWORD_TOO_WEAK"
    PASSWORDS_DO_NOT_MATCH = "PASSWORDS_DO_NOT_MATCH"
    PRIVACY_POLICY_NOT_ACCEPTED = "PRIVACY_POLICY_NOT_ACCEPTED"
    PHONE_ALREADY_REGISTERED = "PHONE_ALREADY_REGISTERED"
    INVALID_CODE = "INVALID_CODE"
    CODE_EXPIRED = "CODE_EXPIRED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    RESEND_TOO_EARLY = "RESEND_TOO_EARLY"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TEMPORARILY_LOCKED = "TEMPORARILY_LOCKED"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN"
    SAME_AS_CURRENT = "SAME_AS_CURRENT"
    # objects
    INVALID_ACCOUNT_NUMBER = "INVALID_ACCOUNT_NUMBER"
    ACCOUNT_OR_CODE_INVALID = "ACCOUNT_OR_CODE_INVALID"
    ACTIVATION_CODE_EXPIRED = "ACTIVATION_CODE_EXPIRED"
    ALREADY_LINKED = "ALREADY_LINKED"
    INVALID_INN = "INVALID_INN"
    INVALID_CONTRACT_NUMBER = "INVALID_CONTRACT_NUMBER"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"
    ALREADY_REVIEWED = "ALREADY_REVIEWED"
    REASON_REQUIRED = "REASON_REQUIRED"
    # readings
    METER_NOT_FOUND = "METER_NOT_FOUND"
    ZONES_MISMATCH = "ZONES_MISMATCH"
    NOT_AN_INTEGER = "NOT_AN_INTEGER"
    LEADING_ZEROS = "LEADING_ZEROS"
    BELOW_PREVIOUS = "BELOW_PREVIOUS"
    TOO_MANY_DIGITS = "TOO_MANY_DIGITS"
    DUPLICATE_SUBMISSION = "DUPLICATE_SUBMISSION"
    # appeals
    APPEAL_CLOSED = "APPEAL_CLOSED"
    EMPTY_MESSAGE = "EMPTY_MESSAGE"
    TOO_MANY_ATTACHMENTS = "TOO_MANY_ATTACHMENTS"
    # payments
    INVALID_AMOUNT = "INVALID_AMOUNT"
    PAYMENT_PROVIDER_UNAVAILABLE = "PAYMENT_PROVIDER_UNAVAILABLE"
    ALREADY_PAID = "ALREADY_PAID"
    PAYMENT_IN_PROGRESS = "PAYMENT_IN_PROGRESS"
    NOTHING_TO_PAY = "NOTHING_TO_PAY"
    # billing
    BILLING_MODE_INTERNAL = "BILLING_MODE_INTERNAL"  # statements are imported only with BILLING_MODE=external
    BALANCE_MISMATCH = "BALANCE_MISMATCH"  # amounts that do not add up, or an opening balance off the chain
    ALREADY_BILLED = "ALREADY_BILLED"  # the period has a statement under another id


@dataclass(frozen=True, slots=True)
class Problem:
    code: ErrorCode
    message: str
    field: tuple[str, ...] | None = None


class DomainError(Exception):
    """One or more problems with what the user asked for; nothing was changed."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("DomainError needs at least one problem")
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.code}: {p.message}" for p in self.problems))

    @classmethod
    def single(cls, code: ErrorCode, message: str, *field: str) -> DomainError:
        return cls([Problem(code=code, message=message, field=field or None)])

"""The password rule: at least 8 characters with letters and digits (and not absurdly long: argon2 hashes it all)."""

from __future__ import annotations

from services.errors import ErrorCode, Problem

MIN_LENGTH = 8
MAX_LENGTH = 128


def password_problems(password: str, confirmation: str | None, *, field: str, confirmation_field: str) -> list[Problem]:
    problems: list[Problem] = []
    if len(password) > MAX_LENGTH:
        problems.append(
            Problem(
                ErrorCode.PASSWORD_TOO_WEAK, f"Пароль должен быть не длиннее {MAX_LENGTH} символов", ("input", field)
            )
        )
    elif (
        len(password) < MIN_LENGTH
        or not any(ch.isalpha() for ch in password)
        or not any(ch.isdigit() for ch in password)
    ):
        problems.append(
            Problem(
                ErrorCode.PASSWORD_TOO_WEAK,
                f"Пароль должен быть не короче {MIN_LENGTH} символов и содержать буквы и цифры",
                ("input", field),
            )
        )
    if confirmation is not None and confirmation != password:
        problems.append(
            Problem(
                ErrorCode.PASSWORDS_DO_NOT_MATCH, "Пароли не совпадают, повторите пароль", ("input", confirmation_field)
            )
        )
    return problems

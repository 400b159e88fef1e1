"""Password and secret hashing.

Passwords use argon2id (slow on purpose). Tokens and codes that are already random and short-lived are stored as
SHA-256: they cannot be guessed offline faster than tried online, and their check stays cheap.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def keyed_hash(secret: str, value: str) -> str:
    """HMAC-SHA256: for codes of few digits, which a plain hash would not protect against a table of all values."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def constant_time_equals(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())


def normalize_activation_code(code: str) -> str:
    return "".join(code.split()).upper()


def hash_activation_code(code: str) -> str:
    """Activation codes are printed on receipts; stored as SHA-256 of the normalised code."""
    return sha256_hex(normalize_activation_code(code))

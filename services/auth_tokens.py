"""Access tokens: short-lived JWTs naming the customer, role and session they were issued for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from models.enums import Role

ACCESS_TOKEN_TTL = timedelta(minutes=15)
ALGORITHM = "HS256"
ISSUER = "lk-api"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: the signed-in customer or member of staff."""

    customer_id: int
    role: Role
    session_id: uuid.UUID
    expires_at: datetime

    @property
    def is_staff(self) -> bool:
        return self.role is not Role.CUSTOMER


def issue_access_token(
    *, secret: str, customer_id: int, role: Role, session_id: uuid.UUID, now: datetime
) -> tuple[str, datetime]:
    expires_at = now + ACCESS_TOKEN_TTL
    claims = {
        "sub": str(customer_id),
        "role": role.value,
        "sid": str(session_id),
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "iss": ISSUER,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires_at


def decode_access_token(*, secret: str, token: str, now: datetime) -> Viewer | None:
    """The viewer a token names, or None when it is malformed, forged or expired (at `now`)."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            # Expiry is checked below against the injected clock; PyJWT would compare exp and iat with the wall clock.
            options={"require": ["exp", "sub", "sid", "role"], "verify_exp": False, "verify_iat": False},
        )
        expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
        if expires_at <= now:
            return None
        return Viewer(
            customer_id=int(claims["sub"]),
            role=Role(claims["role"]),
            session_id=uuid.UUID(claims["sid"]),
            expires_at=expires_at,
        )
    except (jwt.InvalidTokenError, ValueError, KeyError):
        return None


class VerifiedTokens:
    """Tokens already verified by this process (a client sends the same token with each request for its 15
    minutes): a token seen again costs a dictionary look-up instead of an HMAC and a JSON decode. Keyed by the whole
    token text, so only the very token that passed verification is matched; expiry is checked on each use against
    the injected clock. Revocation is not decided here (the session guard is asked on every request). Bounded."""

    def __init__(self, *, secret: str, maxsize: int = 10_000) -> None:
        self.secret = secret
        self.maxsize = maxsize
        self._viewers: dict[str, Viewer] = {}

    def viewer(self, token: str, *, now: datetime) -> Viewer | None:
        held = self._viewers.get(token)
        if held is not None:
            return held if held.expires_at > now else None
        viewer = decode_access_token(secret=self.secret, token=token, now=now)
        if viewer is not None:
            if len(self._viewers) >= self.maxsize:
                self._viewers.clear()
            self._viewers[token] = viewer
        return viewer

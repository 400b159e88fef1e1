"""Sessions: a sign-in is a family of refresh tokens, each used once; reusing a rotated one revokes the family.

Refresh tokens are opaque (`secrets.token_urlsafe(32)` for the first), stored as SHA-256, valid 30 days from issue.
Access tokens are 15-minute JWTs naming the family (`sid`), so revoking a family also ends its access tokens.

Reuse grace: two tabs of one browser refreshing with the same token at once must not sign the user out. A rotated
token presented again by the same client within `REUSE_GRACE` gets the same successor back (as identity providers'
"refresh token reuse interval" does). The successor is an HMAC of its predecessor under the server key, so it can
be handed out again without being stored in clear. Beyond the interval, or from another client, reuse revokes.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.identity import AuthSession, Customer, RefreshToken
from services.auth_tokens import issue_access_token
from services.errors import DomainError, ErrorCode
from services.identity.events import record_revocation
from services.platform.database import run
from services.platform.hashing import keyed_hash, sha256_hex
from services.platform.runtime import Runtime

REFRESH_TOKEN_TTL = timedelta(days=30)
REUSE_GRACE = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class IssuedSession:
    customer: Customer
    session_id: uuid.UUID
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str


@dataclass(frozen=True, slots=True)
class ClientInfo:
    ip: str
    user_agent: str | None = None


class RefreshTokenReused(DomainError):
    """A rotated refresh token came back: someone holds a copy. The whole family was revoked."""

    def __init__(self, session_id: uuid.UUID) -> None:
        super().__init__(DomainError.single(ErrorCode.INVALID_REFRESH_TOKEN, _INVALID_REFRESH_MESSAGE).problems)
        self.session_id = session_id


_INVALID_REFRESH_MESSAGE = "Сессия завершена. Войдите снова"


def _invalid_refresh_token() -> DomainError:
    return DomainError.single(ErrorCode.INVALID_REFRESH_TOKEN, _INVALID_REFRESH_MESSAGE, "input", "refreshToken")


def _client_fingerprint(client: ClientInfo) -> str:
    return sha256_hex(f"{client.ip}\n{client.user_agent or ''}")


def _successor_of(secret: str, refresh_token: str) -> str:
    """The token that replaces `refresh_token`: derived, so a retry within the grace gets the same one."""
    return keyed_hash(secret, f"refresh-successor:{refresh_token}")


def _new_refresh_token(session: AsyncSession, family_id: uuid.UUID, now: datetime, token: str | None = None) -> str:
    token = token or secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            session_id=family_id, token_hash=sha256_hex(token), issued_at=now, expires_at=now + REFRESH_TOKEN_TTL
        )
    )
    return token


def _issue(
    runtime: Runtime, customer: Customer, family_id: uuid.UUID, refresh_token: str, now: datetime
) -> IssuedSession:
    assert customer.id is not None
    access_token, expires_at = issue_access_token(
        secret=runtime.settings.secret_key, customer_id=customer.id, role=customer.role, session_id=family_id, now=now
    )
    return IssuedSession(
        customer=customer,
        session_id=family_id,
        access_token=access_token,
        access_token_expires_at=expires_at,
        refresh_token=refresh_token,
    )


async def start_session(
    session: AsyncSession, runtime: Runtime, *, customer: Customer, client: ClientInfo, now: datetime
) -> IssuedSession:
    """A new family with its first refresh token, in the caller's transaction (the customer must have an id)."""
    assert customer.id is not None
    family = AuthSession(
        customer_id=customer.id,
        created_at=now,
        last_used_at=now,
        expires_at=now + REFRESH_TOKEN_TTL,
        ip=client.ip[:64],
        user_agent=client.user_agent[:400] if client.user_agent else None,
    )
    session.add(family)
    await session.flush()
    refresh_token = _new_refresh_token(session, family.id, now)
    return _issue(runtime, customer, family.id, refresh_token, now)


async def revoke_sessions(
    session: AsyncSession, *, customer_id: int, now: datetime, reason: str, keep: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Revoke every live family of a customer (but `keep`), telling every process; the ids revoked."""
    statement = (
        sa.update(AuthSession)
        .where(AuthSession.customer_id == customer_id, AuthSession.revoked_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(revoked_at=now, revoked_reason=reason)
        .returning(col(AuthSession.id))
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)  # type: ignore[arg-type]
    revoked = list((await run(session, statement)).scalars().all())
    record_revocation(session, revoked, now=now)
    return revoked


async def _token_with_family(session: AsyncSession, refresh_token: str) -> tuple[RefreshToken, AuthSession] | None:
    statement = (
        sa.select(RefreshToken, AuthSession)
        .join(AuthSession, AuthSession.id == RefreshToken.session_id)  # type: ignore[arg-type]
        .where(RefreshToken.token_hash == sha256_hex(refresh_token))  # type: ignore[arg-type]
        .with_for_update(of=AuthSession)  # type: ignore[arg-type]
    )
    row = (await run(session, statement)).one_or_none()
    if row is None:
        return None
    token, family = row  # type: ignore[misc]
    return token, family


async def _spend(session: AsyncSession, token: RefreshToken, now: datetime, client: ClientInfo) -> bool:
    """Mark the token rotated unless it already is. One statement checks and writes: a concurrent refresh with the
    same token has read it unrotated before waiting for the family's lock, and only the row's current version tells."""
    statement = (
        sa.update(RefreshToken)
        .where(col(RefreshToken.id) == token.id, col(RefreshToken.rotated_at).is_(None))
        .values(rotated_at=now, rotated_by=_client_fingerprint(client))
        .returning(col(RefreshToken.id))
    )
    return (await run(session, statement)).first() is not None


async def _graced_successor(
    session: AsyncSession,
    runtime: Runtime,
    token: RefreshToken,
    *,
    refresh_token: str,
    client: ClientInfo,
    now: datetime,
) -> str | None:
    """The successor already issued for `refresh_token`, when this same client rotated it within `REUSE_GRACE`."""
    rotation = (
        await run(
            session,
            # A fresh read: the row may have been rotated by the transaction this one waited for.
            sa.select(col(RefreshToken.rotated_at), col(RefreshToken.rotated_by)).where(
                col(RefreshToken.id) == token.id
            ),
        )
    ).one()
    if (
        rotation.rotated_at is None
        or now - rotation.rotated_at > REUSE_GRACE
        or rotation.rotated_by != _client_fingerprint(client)
    ):
        return None
    successor = _successor_of(runtime.settings.secret_key, refresh_token)
    issued = (
        await run(
            session,
            sa.select(col(RefreshToken.id)).where(
                col(RefreshToken.session_id) == token.session_id,
                col(RefreshToken.token_hash) == sha256_hex(successor),
                col(RefreshToken.expires_at) > now,
            ),
        )
    ).first()
    return successor if issued is not None else None


async def refresh_session(runtime: Runtime, *, refresh_token: str, client: ClientInfo) -> IssuedSession:
    """Rotate: the presented token is spent and a new pair issued. Raises `RefreshTokenReused` after revoking."""
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        found = await _token_with_family(session, refresh_token)
        if found is None:
            raise _invalid_refresh_token()
        token, family = found
        if family.revoked_at is not None or family.expires_at <= now or token.expires_at <= now:
            raise _invalid_refresh_token()
        customer = await session.get(Customer, family.customer_id)
        if customer is None:
            raise _invalid_refresh_token()
        if not await _spend(session, token, now, client):
            successor = await _graced_successor(
                session, runtime, token, refresh_token=refresh_token, client=client, now=now
            )
            if successor is not None:
                await session.commit()
                return _issue(runtime, customer, family.id, successor, now)
            family.revoked_at = now
            family.revoked_reason = "refresh_token_reuse"
            record_revocation(session, [family.id], now=now)
            await session.commit()
            raise RefreshTokenReused(family.id)
        family.last_used_at = now
        family.expires_at = now + REFRESH_TOKEN_TTL
        new_token = _new_refresh_token(
            session, family.id, now, token=_successor_of(runtime.settings.secret_key, refresh_token)
        )
        await session.commit()
    return _issue(runtime, customer, family.id, new_token, now)


async def sign_out(runtime: Runtime, *, refresh_token: str, everywhere: bool) -> Sequence[uuid.UUID]:
    """End the family of `refresh_token` (a spent one will do), or every family of its customer."""
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        found = await _token_with_family(session, refresh_token)
        if found is None:
            raise _invalid_refresh_token()
        _, family = found
        if everywhere:
            revoked = await revoke_sessions(
                session, customer_id=family.customer_id, now=now, reason="sign_out_everywhere"
            )
        elif family.revoked_at is None:
            family.revoked_at = now
            family.revoked_reason = "sign_out"
            revoked = [family.id]
            record_revocation(session, revoked, now=now)
        else:
            revoked = []
        await session.commit()
    return revoked

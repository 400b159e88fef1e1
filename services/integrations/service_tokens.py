"""Service tokens: how integrations (billing, grid companies, the ИСУ head-end) authenticate.

A token is `svc_` + 43 random URL-safe characters, shown once at creation; only its SHA-256 is stored, with the
scopes it grants (e.g. `tech_connections:write`). The prefix tells a service token from a customer's JWT without a
database lookup. Each process remembers answers for `CACHE_SECONDS`, so revoking a token takes at most that long.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import col, select

from models.identity import ServiceToken
from services.errors import DomainError, ErrorCode
from services.platform.hashing import sha256_hex
from services.platform.runtime import Runtime

TOKEN_PREFIX = "svc_"
CACHE_SECONDS = 30.0
MAX_CACHED = 1000
TECH_CONNECTIONS_WRITE = "tech_connections:write"
READINGS_WRITE = "readings:write"
PAYMENTS_WRITE = "payments:write"
BILLING_WRITE = "billing:write"  # an external billing system imports statements (BILLING_MODE=external)
ISU_WRITE = "isu:write"  # the smart-metering head-end's batches (services/isu/ingest.py)
KNOWN_SCOPES = frozenset({TECH_CONNECTIONS_WRITE, READINGS_WRITE, PAYMENTS_WRITE, BILLING_WRITE, ISU_WRITE})


@dataclass(frozen=True, slots=True)
class ServicePrincipal:
    """An integration calling the API."""

    token_id: int
    name: str
    scopes: frozenset[str]

    def may(self, scope: str) -> bool:
        return scope in self.scopes


# The operator at the server's shell (`uv run server.py isu-import …`) may do what any integration may.
COMMAND_LINE = ServicePrincipal(token_id=0, name="command line", scopes=KNOWN_SCOPES)


def require_scope(principal: ServicePrincipal, scope: str) -> None:
    """Refuses a write the integration's token does not grant: each writing service checks it itself, whatever
    the API checked before calling it."""
    if not principal.may(scope):
        raise DomainError.single(ErrorCode.FORBIDDEN, f"У токена интеграции нет права {scope}")


class ServiceTokenCache(dict[str, tuple[float, ServicePrincipal | None]]):
    """A process's recent answers (`Runtime.service_tokens`): token hash -> (monotonic time, principal or None)."""


def looks_like_service_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX)


async def create_service_token(runtime: Runtime, *, name: str, scopes: Iterable[str]) -> str:
    """A new token for an integration; the value is returned once and cannot be recovered later."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with runtime.db.session() as session:
        session.add(
            ServiceToken(
                name=name, token_hash=sha256_hex(token), scopes=sorted(set(scopes)), created_at=runtime.clock.now()
            )
        )
        await session.commit()
    return token


async def _lookup(runtime: Runtime, token: str) -> ServicePrincipal | None:
    async with runtime.db.session() as session:
        row = (
            await session.exec(
                select(ServiceToken).where(
                    ServiceToken.token_hash == sha256_hex(token), col(ServiceToken.revoked_at).is_(None)
                )
            )
        ).first()
    if row is None or row.id is None:
        return None
    return ServicePrincipal(token_id=row.id, name=row.name, scopes=frozenset(row.scopes))


async def service_principal(runtime: Runtime, token: str) -> ServicePrincipal | None:
    """The integration a bearer token belongs to, or None (not a service token, unknown or revoked)."""
    if not looks_like_service_token(token):
        return None
    cache = runtime.service_tokens
    key = sha256_hex(token)
    hit = cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    principal = await _lookup(runtime, token)
    if len(cache) >= MAX_CACHED:
        cache.clear()
    cache[key] = (time.monotonic(), principal)
    return principal

"""The cast of an authorization matrix: who asks, from nobody to the owner, with their tokens."""

from __future__ import annotations

from dataclasses import dataclass

from models import Customer
from models.enums import Role
from services.platform.runtime import Runtime
from tests.support.factories import create_customer
from tests.support.identity import token_for

CALLERS = ("anonymous", "stranger", "operator", "analyst", "admin", "owner")


def matrix(*outcomes: object) -> list[tuple[str, object]]:
    """(caller, expected outcome) pairs in the order of `CALLERS`."""
    return list(zip(CALLERS, outcomes, strict=True))


@dataclass
class Callers:
    people: dict[str, Customer]  # every caller but "anonymous"
    tokens: dict[str, str | None]  # every caller; None for "anonymous"


async def make_callers(runtime: Runtime) -> Callers:
    now = runtime.clock.now()
    people = {
        "owner": await create_customer(runtime.db, now=now),
        "stranger": await create_customer(runtime.db, now=now),
        "operator": await create_customer(runtime.db, now=now, role=Role.OPERATOR),
        "analyst": await create_customer(runtime.db, now=now, role=Role.ANALYST),
        "admin": await create_customer(runtime.db, now=now, role=Role.ADMIN),
    }
    tokens: dict[str, str | None] = {"anonymous": None}
    for name, person in people.items():
        tokens[name] = await token_for(runtime, person)
    return Callers(people=people, tokens=tokens)

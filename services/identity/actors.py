"""Who is acting, asked inside the writing service's own transaction.

The GraphQL layer's permission classes are the first gate, not the only one: a service that writes checks its actor
itself, so that no caller (a resolver, a job, the command line) can write on someone else's behalf by mistake.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Customer
from models.enums import Role

# Staff who may change what customers see (analysts only read).
STAFF_WRITERS = frozenset({Role.OPERATOR, Role.ADMIN})


async def is_staff_writer(session: AsyncSession, customer_id: int) -> bool:
    """Whether the user is an operator or an admin now (a role read from the database, not from a token)."""
    customer = await session.get(Customer, customer_id)
    return customer is not None and customer.role in STAFF_WRITERS

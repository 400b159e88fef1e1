"""What the appeals resolvers share: who is acting."""

from __future__ import annotations

from schema.core.context import Info
from schema.core.permissions import signed_in
from services.appeals.conversation import Author


def author(info: Info) -> Author:
    viewer = signed_in(info)
    return Author(customer_id=viewer.customer_id, role=viewer.role)

"""What the appeals resolvers share: global ids to database ids, and who is acting."""

from __future__ import annotations

from strawberry import relay

from schema.core.context import Info
from schema.core.ids import node_pk
from schema.core.permissions import signed_in
from services.appeals.conversation import Author, appeal_not_found


def author(info: Info) -> Author:
    viewer = signed_in(info)
    return Author(customer_id=viewer.customer_id, role=viewer.role)


def appeal_pk(global_id: relay.GlobalID) -> int:
    """The appeal's database id; a malformed id or one of another type is a missing appeal."""
    pk = node_pk(global_id, "Appeal")
    if pk is None:
        raise appeal_not_found()
    return pk

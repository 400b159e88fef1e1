"""What the appeals resolvers share: global ids to database ids, and who is acting."""

from __future__ import annotations

from strawberry import relay

from resolvers.identity.common import signed_in
from resolvers.objects.common import node_pk
from schema.context import Info
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

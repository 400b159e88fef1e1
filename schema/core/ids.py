"""What the objects resolvers share."""

from __future__ import annotations

from strawberry import relay

from schema.core.ownership import parse_id


def node_pk(global_id: relay.GlobalID, type_name: str) -> int | None:
    """The database id behind a global id of `type_name`; None for another type or a malformed id (a missing object)."""
    if global_id.type_name != type_name:
        return None
    return parse_id(global_id.node_id)

"""Global ids to database ids: the one translation a root field does before calling a service."""

from __future__ import annotations

from collections.abc import Callable

from strawberry import relay

from schema.core.ownership import parse_id


def node_pk(global_id: relay.GlobalID, type_name: str) -> int | None:
    """The database id behind a global id of `type_name`; None for another type or a malformed id (a missing object)."""
    if global_id.type_name != type_name:
        return None
    return parse_id(global_id.node_id)


def pk_of(global_id: relay.GlobalID, type_name: str, not_found: Callable[[], Exception]) -> int:
    """The database id behind a global id of `type_name`, else the domain's not-found error (raised: a mutation
    answers a `DomainError` in its payload, a subscription its GraphQL error): an id of another type or a malformed
    one names a missing object."""
    pk = node_pk(global_id, type_name)
    if pk is None:
        raise not_found()
    return pk

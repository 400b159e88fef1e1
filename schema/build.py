"""The assembled schema: the root types are merged from each domain's query, mutation and subscription classes."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.extensions import MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from schema.scalars import SCALAR_MAP


@strawberry.type
class NodeQuery:
    node: relay.Node | None = relay.node(
        description="Any object by its global id; another customer's object answers exactly like a missing one."
    )


def _node_types() -> tuple[type, ...]:
    """Every Node type, so that `node(id)` can answer for types no root field reaches directly."""
    from schema.account import PersonalAccount
    from schema.contract import Contract

    return (PersonalAccount, Contract)


def _query_types() -> tuple[type, ...]:
    return (NodeQuery,)


def _mutation_types() -> tuple[type, ...]:
    return ()


def _subscription_types() -> tuple[type, ...]:
    return ()


def build_schema() -> strawberry.Schema:
    mutations = _mutation_types()
    subscriptions = _subscription_types()
    return strawberry.Schema(
        query=merge_types("Query", _query_types()),
        mutation=merge_types("Mutation", mutations) if mutations else None,
        subscription=merge_types("Subscription", subscriptions) if subscriptions else None,
        types=_node_types(),
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=[
            # Bounded caches: a flood of distinct documents cannot grow memory without limit.
            # (The LRU caches live at module level, shared by the per-request extension instances.)
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            lambda: QueryDepthLimiter(max_depth=12),
            lambda: MaxTokensLimiter(max_token_count=5000),
        ],
    )


schema = build_schema()

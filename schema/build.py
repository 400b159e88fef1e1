"""The assembled schema: the root types are merged from each domain's query, mutation and subscription classes."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.extensions.query_depth_limiter import create_validator
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from schema.cost import QueryCostRule
from schema.fast_fields import read_basic_fields_directly
from schema.masking import mask_internal_errors
from schema.scalars import SCALAR_MAP

DEPTH_RULE = create_validator(12, None, None)


@strawberry.type
class NodeQuery:
    node: relay.Node | None = relay.node(
        description="Any object by its global id; another customer's object answers exactly like a missing one."
    )


def _node_types() -> tuple[type, ...]:
    """Every Node type, so that `node(id)` can answer for types no root field reaches directly."""
    from schema.account import PersonalAccount
    from schema.appeal import Appeal, AppealMessage
    from schema.billing import Charge, Payment, Statement
    from schema.contract import Contract
    from schema.contract_access import ContractAccessRequest
    from schema.customer import Customer
    from schema.delivery_point import DeliveryPoint
    from schema.meter import Meter
    from schema.reading import Reading, ReadingSubmission
    from schema.tariff import Tariff
    from schema.tech_connection import TechConnection

    cabinet = (Meter, Reading, ReadingSubmission, Charge, Statement, Payment, Tariff, DeliveryPoint)
    objects = (ContractAccessRequest, TechConnection)
    appeals = (Appeal, AppealMessage)
    return (PersonalAccount, Contract, Customer, *cabinet, *objects, *appeals)


def _query_types() -> tuple[type, ...]:
    from resolvers.appeals.inbox import AppealInboxQuery
    from resolvers.cabinet.queries import CabinetQuery
    from resolvers.identity.queries import IdentityQuery
    from resolvers.objects.contract_access import ContractAccessQuery
    from resolvers.readings.queries import ReadingsQuery

    return (NodeQuery, IdentityQuery, CabinetQuery, ContractAccessQuery, AppealInboxQuery, ReadingsQuery)


def _mutation_types() -> tuple[type, ...]:
    from resolvers.appeals.conversation import AppealMutation
    from resolvers.appeals.inbox import AppealAssignmentMutation
    from resolvers.identity.profile import ProfileMutation
    from resolvers.identity.sessions import SessionMutation
    from resolvers.objects.accounts import AccountLinkMutation
    from resolvers.objects.contract_access import ContractAccessMutation
    from resolvers.objects.tech_connections import TechConnectionMutation
    from resolvers.payments.mutations import PaymentMutation
    from resolvers.readings.mutations import ReadingsMutation

    objects = (AccountLinkMutation, ContractAccessMutation, TechConnectionMutation)
    appeals = (AppealMutation, AppealAssignmentMutation)
    return (SessionMutation, ProfileMutation, *objects, *appeals, ReadingsMutation, PaymentMutation)


def _subscription_types() -> tuple[type, ...]:
    from subscriptions.appeals import AppealSubscription
    from subscriptions.payments import PaymentSubscription
    from subscriptions.readings import ReadingSubscription

    return (AppealSubscription, ReadingSubscription, PaymentSubscription)


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
            # One rule class for the process: a new class per request would change the validation cache's key.
            lambda: AddValidationRules([DEPTH_RULE, QueryCostRule]),
            lambda: MaxTokensLimiter(max_token_count=5000),
            mask_internal_errors,
        ],
    )


schema = build_schema()
read_basic_fields_directly(schema)

"""The assembled schema: the root Query, Mutation and Subscription merged from each domain's classes.

It lives here, not in `schema/`, because it names the resolvers: `schema/` (the types) never imports `resolvers/`
(the root fields), and the subscriptions are listed beside the root fields.
"""

from __future__ import annotations

from resolvers.analytics.queries import AnalyticsQuery
from resolvers.appeals.conversation import AppealMutation
from resolvers.appeals.inbox import AppealAssignmentMutation, AppealInboxQuery
from resolvers.billing.imports import BillingImportMutation
from resolvers.cabinet.queries import CabinetQuery
from resolvers.identity.profile import ProfileMutation
from resolvers.identity.queries import IdentityQuery
from resolvers.identity.sessions import SessionMutation
from resolvers.objects.accounts import AccountLinkMutation
from resolvers.objects.contract_access import ContractAccessMutation, ContractAccessQuery
from resolvers.objects.tech_connections import TechConnectionMutation
from resolvers.payments.mutations import PaymentMutation
from resolvers.readings.mutations import ReadingsMutation
from resolvers.readings.queries import ReadingsQuery
from schema.appeals.appeal import Appeal, AppealMessage
from schema.billing.tariff import Tariff
from schema.billing.types import Charge, Payment, Statement
from schema.cabinet.account import PersonalAccount
from schema.core.build import build_schema
from schema.identity.customer import Customer
from schema.objects.contract import Contract
from schema.objects.contract_access import ContractAccessRequest
from schema.objects.delivery_point import DeliveryPoint
from schema.objects.tech_connection import TechConnection
from schema.readings.meter import Meter
from schema.readings.reading import Reading, ReadingSubmission
from subscriptions.appeals import AppealSubscription
from subscriptions.payments import PaymentSubscription
from subscriptions.readings import ReadingSubscription

QUERIES = (IdentityQuery, CabinetQuery, ContractAccessQuery, AppealInboxQuery, ReadingsQuery, AnalyticsQuery)
MUTATIONS = (
    SessionMutation,
    ProfileMutation,
    AccountLinkMutation,
    ContractAccessMutation,
    TechConnectionMutation,
    AppealMutation,
    AppealAssignmentMutation,
    ReadingsMutation,
    PaymentMutation,
    BillingImportMutation,
)
SUBSCRIPTIONS = (AppealSubscription, ReadingSubscription, PaymentSubscription)
NODE_TYPES = (
    PersonalAccount,
    Contract,
    Customer,
    Meter,
    Reading,
    ReadingSubmission,
    Charge,
    Statement,
    Payment,
    Tariff,
    DeliveryPoint,
    ContractAccessRequest,
    TechConnection,
    Appeal,
    AppealMessage,
)

schema = build_schema(queries=QUERIES, mutations=MUTATIONS, subscriptions=SUBSCRIPTIONS, node_types=NODE_TYPES)

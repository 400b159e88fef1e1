"""`Customer`: a portal user (a customer or staff). Other domains add their fields here (accounts, appeals, …).

A customer sees only themself; operators, analysts and admins see anyone, analysts with the phone and email masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay

from loaders.access import LinkedAccountIds, LinkedContractIds
from loaders.appeals import AppealPagesOfCustomer, Page, TopicGroupsOfCustomer
from loaders.customer_objects import ContractAccessRequestsOfCustomer, TechConnectionsOfCustomer
from loaders.identity import CustomerById
from loaders.objects import AccountById, ContractById
from loaders.pages import table_of
from models import Customer as CustomerModel
from models.enums import Role as RoleEnum
from schema.appeals.appeal import Appeal, AppealStatus, AppealTopic
from schema.appeals.inputs import AppealTopicGroup
from schema.cabinet.account import PersonalAccount
from schema.core.access import viewer_is_analyst, viewer_is_staff_reader
from schema.core.compiled.sql_tree import Leaf, Relation, declare
from schema.core.context import Info
from schema.core.nodes import RowNode
from schema.core.pagination import decode_keyset, exactly, make_connection, page_size
from schema.objects.contract import Contract
from schema.objects.contract_access import ContractAccessRequest
from schema.objects.tech_connection import TechConnection
from services.appeals.topics import TOPIC_ORDER
from services.identity.contacts import mask_email, mask_phone
from services.identity.pseudonym import pseudonymous_key

Role = strawberry.enum(RoleEnum, name="Role", description="What a user may do: a customer, or a member of staff.")


@strawberry.type(
    name="Customer", description="A user of the portal (пользователь ЛК): a customer or a member of staff."
)
class Customer(RowNode):
    node_loader = CustomerById
    full_phone: strawberry.Private[str]
    full_email: strawberry.Private[str | None]

    def _masked(self, info: Info) -> bool:
        """Analysts see other people's contacts masked (their own in full)."""
        viewer = info.context.viewer
        return viewer_is_analyst(info) and viewer is not None and viewer.customer_id != self.row_id

    def _phone(self, info: Info) -> str:
        return mask_phone(self.full_phone) if self._masked(info) else self.full_phone

    def _email(self, info: Info) -> str | None:
        email = self.full_email
        return mask_email(email) if email is not None and self._masked(info) else email

    # Masked fields keep their place among the plain ones (a resolver given here, not a decorated method).
    phone: str = strawberry.field(
        resolver=_phone, description="Mobile phone in E.164 (+79991234567); masked for analysts."
    )
    email: str | None = strawberry.field(resolver=_email, description="Email, if given; masked for analysts.")
    email_verified: bool = strawberry.field(description="Whether the email was confirmed by a code.")
    full_name: str | None = strawberry.field(
        description="Full name, if known (staff members have one); null for analysts but their own."
    )
    role: Role  # type: ignore[valid-type]
    created_at: datetime = strawberry.field(description="When the user registered.")

    @classmethod
    def from_row(cls, row: CustomerModel) -> Self:
        assert row.id is not None
        return cls(
            row_id=row.id,
            full_phone=row.phone,
            full_email=row.email,
            email_verified=row.email_verified,
            full_name=row.full_name,
            role=row.role,
            created_at=row.created_at,
        )

    @strawberry.field(
        description="A stable pseudonymous key of the user (HMAC of the id with the server's secret): the same user "
        "always has the same key, so analysts can count distinct customers without seeing who they are."
    )
    def pseudonymous_key(self, info: Info) -> str:
        return pseudonymous_key(secret=info.context.runtime.settings.secret_key, customer_id=self.row_id)

    # The fields below answer for a Customer node already checked: it is the viewer, or the viewer is staff.

    @strawberry.field(description="The personal accounts linked to the customer, in number order («Личный кабинет»).")
    async def personal_accounts(self, info: Info) -> list[PersonalAccount]:
        ids = sorted(await info.context.loaders.get(LinkedAccountIds).load(self.row_id))
        rows = await info.context.loaders.get(AccountById).load_many(ids)
        return [PersonalAccount.from_row(row) for row in sorted(filter(None, rows), key=lambda row: row.number)]

    @strawberry.field(description="The contracts linked to the customer, in number order.")
    async def contracts(self, info: Info) -> list[Contract]:
        ids = sorted(await info.context.loaders.get(LinkedContractIds).load(self.row_id))
        rows = await info.context.loaders.get(ContractById).load_many(ids)
        return [Contract.from_row(row) for row in sorted(filter(None, rows), key=lambda row: row.number)]

    @strawberry.field(description="Requests for access to contracts (заявки на доступ к договору), newest first.")
    async def contract_access_requests(self, info: Info) -> list[ContractAccessRequest]:
        rows = await info.context.loaders.get(ContractAccessRequestsOfCustomer).load(self.row_id)
        return [ContractAccessRequest.from_row(row) for row in rows]

    @strawberry.field(
        description="Tech connections («Техприс») grid companies sent for the customer's phone, newest first."
    )
    async def tech_connections(self, info: Info) -> list[TechConnection]:
        rows = await info.context.loaders.get(TechConnectionsOfCustomer).load((self.row_id, self.full_phone))
        return [TechConnection.from_row(row) for row in rows]

    @strawberry.field(
        description="The «Обращения» section: all six topics in the portal's order with the customer's appeal "
        "counts and unread messages (topics without appeals too: the new-appeal form lists them)."
    )
    async def appeal_topics(self, info: Info) -> list[AppealTopicGroup]:
        """All six topics in the form's order, those without appeals too (the frontend may hide them)."""
        key = (self.row_id, viewer_is_staff_reader(info))
        by_topic = {row.topic: row for row in await info.context.loaders.get(TopicGroupsOfCustomer).load(key)}
        return [AppealTopicGroup.of(topic, by_topic.get(topic)) for topic in TOPIC_ORDER]

    @strawberry.field(description="The customer's appeals (обращения), latest activity first; filter by topic/status.")
    async def appeals(
        self,
        info: Info,
        topic: AppealTopic | None = None,  # type: ignore[valid-type]
        status: AppealStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> relay.Connection[Appeal]:
        after_key = decode_keyset(after, (datetime.fromisoformat, exactly(int)))
        page = Page(first=page_size(first), after=after_key, topic=topic, status=status)
        rows = await info.context.loaders.get(AppealPagesOfCustomer).load((self.row_id, page))
        return make_connection(
            rows,
            first=page.first,
            to_node=Appeal.from_row,
            cursor_of=lambda row: (row.last_message_at.isoformat(), row.id),
            has_previous=after is not None,
        )

    @classmethod
    async def visible_rows(cls, info: Info, rows: list[Any | None]) -> list[Any | None]:
        """A customer sees only themself; staff see anyone."""
        viewer = info.context.viewer
        if viewer is None:
            return [None] * len(rows)
        if viewer_is_staff_reader(info):
            return rows
        return [row if row is not None and row.id == viewer.customer_id else None for row in rows]


# The customer's plain fields and accounts in SQL (schema/core/compiled/sql_tree.py), the accounts in number order as
# `personal_accounts` sorts them (Python compares code points: "C" collation).
declare(
    Customer,
    table_of(CustomerModel),
    id=Leaf(global_id=True),
    phone=Leaf("phone"),  # analysts' plans are never answered in SQL: they see others' contacts masked
    email=Leaf("email"),
    email_verified=Leaf("email_verified"),
    full_name=Leaf("full_name"),
    role=Leaf("role"),
    created_at=Leaf("created_at"),
    personal_accounts=Relation(
        "many",
        "account_link {t}_l JOIN personal_account {t} ON {t}.id = {t}_l.account_id WHERE {t}_l.customer_id = {p}.id",
        order='{t}.number COLLATE "C"',
    ),
)

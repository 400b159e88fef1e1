"""`Customer`: a portal user (a customer or staff). Other domains add their fields here (accounts, appeals, …).

A customer sees only themself; operators, analysts and admins see anyone, analysts with the phone and email masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay

from loaders.identity import CustomerById
from models import Customer as CustomerModel
from models.enums import Role as RoleEnum
from schema.appeals.appeal import Appeal, AppealStatus, AppealTopic
from schema.appeals.inputs import AppealTopicGroup
from schema.cabinet.account import PersonalAccount
from schema.core.access import viewer_is_analyst, viewer_is_staff_reader
from schema.core.context import Info
from schema.core.nodes import RowNode
from schema.identity import customer_appeals as appeal_fields
from schema.identity import customer_objects as customer_fields
from schema.objects.contract import Contract
from schema.objects.contract_access import ContractAccessRequest, contract_access_requests_of
from schema.objects.tech_connection import TechConnection, tech_connections_of
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

    @strawberry.field(description="The personal accounts linked to the customer, in number order («Личный кабинет»).")
    async def personal_accounts(self, info: Info) -> list[PersonalAccount]:
        return await customer_fields.personal_accounts(info, self.row_id)

    @strawberry.field(description="The contracts linked to the customer, in number order.")
    async def contracts(self, info: Info) -> list[Contract]:
        return await customer_fields.contracts(info, self.row_id)

    @strawberry.field(description="Requests for access to contracts (заявки на доступ к договору), newest first.")
    async def contract_access_requests(self, info: Info) -> list[ContractAccessRequest]:
        return await contract_access_requests_of(info, self.row_id)

    @strawberry.field(
        description="Tech connections («Техприс») grid companies sent for the customer's phone, newest first."
    )
    async def tech_connections(self, info: Info) -> list[TechConnection]:
        return await tech_connections_of(info, self.row_id, self.full_phone)

    @strawberry.field(
        description="The «Обращения» section: all six topics in the portal's order with the customer's appeal "
        "counts and unread messages (topics without appeals too: the new-appeal form lists them)."
    )
    async def appeal_topics(self, info: Info) -> list[AppealTopicGroup]:
        return await appeal_fields.appeal_topics(info, self.row_id)

    @strawberry.field(description="The customer's appeals (обращения), latest activity first; filter by topic/status.")
    async def appeals(
        self,
        info: Info,
        topic: AppealTopic | None = None,  # type: ignore[valid-type]
        status: AppealStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> relay.Connection[Appeal]:
        return await appeal_fields.appeals(info, self.row_id, topic=topic, status=status, first=first, after=after)

    @classmethod
    async def visible_rows(cls, info: Info, rows: list[Any | None]) -> list[Any | None]:
        """A customer sees only themself; staff see anyone."""
        viewer = info.context.viewer
        if viewer is None:
            return [None] * len(rows)
        if viewer_is_staff_reader(info):
            return rows
        return [row if row is not None and row.id == viewer.customer_id else None for row in rows]

"""`Customer`: a portal user (a customer or staff). Other domains add their fields here (accounts, appeals, …).

A customer sees only themself; operators, analysts and admins see anyone, analysts with the phone and email masked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Self

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
from schema.core.nodes import ModelNode
from schema.core.ownership import parse_id
from schema.identity import customer_appeals as appeal_fields
from schema.identity import customer_objects as customer_fields
from schema.objects.contract import Contract
from schema.objects.contract_access import ContractAccessRequest, contract_access_requests_of
from schema.objects.tech_connection import TechConnection, tech_connections_of
from services.identity.contacts import mask_email, mask_phone

Role = strawberry.enum(RoleEnum, name="Role", description="What a user may do: a customer, or a member of staff.")


@strawberry.type(
    name="Customer", description="A user of the portal (пользователь ЛК): a customer or a member of staff."
)
class Customer(ModelNode):
    model: strawberry.Private[CustomerModel]
    masked: strawberry.Private[bool] = False

    @strawberry.field(description="Mobile phone in E.164 (+79991234567); masked for analysts.")
    def phone(self) -> str:
        return mask_phone(self.model.phone) if self.masked else self.model.phone

    @strawberry.field(description="Email, if given; masked for analysts.")
    def email(self) -> str | None:
        email = self.model.email
        return mask_email(email) if email is not None and self.masked else email

    @strawberry.field(description="Whether the email was confirmed by a code.")
    def email_verified(self) -> bool:
        return self.model.email_verified

    @strawberry.field(description="Full name, if known (staff members have one).")
    def full_name(self) -> str | None:
        return self.model.full_name

    @strawberry.field
    def role(self) -> Role:  # type: ignore[valid-type]
        return self.model.role

    @strawberry.field(description="When the user registered.")
    def created_at(self) -> datetime:
        return self.model.created_at

    @strawberry.field(description="The personal accounts linked to the customer, in number order («Личный кабинет»).")
    async def personal_accounts(self, info: Info) -> list[PersonalAccount]:
        return await customer_fields.personal_accounts(info, self.model.id or 0)

    @strawberry.field(description="The contracts linked to the customer, in number order.")
    async def contracts(self, info: Info) -> list[Contract]:
        return await customer_fields.contracts(info, self.model.id or 0)

    @strawberry.field(description="Requests for access to contracts (заявки на доступ к договору), newest first.")
    async def contract_access_requests(self, info: Info) -> list[ContractAccessRequest]:
        return await contract_access_requests_of(info, self.model.id)

    @strawberry.field(
        description="Tech connections («Техприс») grid companies sent for the customer's phone, newest first."
    )
    async def tech_connections(self, info: Info) -> list[TechConnection]:
        return await tech_connections_of(info, self.model.id, self.model.phone)

    @strawberry.field(
        description="The «Обращения» section: all six topics in the portal's order with the customer's appeal "
        "counts and unread messages (topics without appeals too: the new-appeal form lists them)."
    )
    async def appeal_topics(self, info: Info) -> list[AppealTopicGroup]:
        return await appeal_fields.appeal_topics(info, self.model.id or 0)

    @strawberry.field(description="The customer's appeals (обращения), latest activity first; filter by topic/status.")
    async def appeals(
        self,
        info: Info,
        topic: AppealTopic | None = None,  # type: ignore[valid-type]
        status: AppealStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> relay.Connection[Appeal]:
        return await appeal_fields.appeals(
            info, self.model.id or 0, topic=topic, status=status, first=first, after=after
        )

    @classmethod
    def from_model(cls, model: CustomerModel, *, masked: bool = False) -> Self:
        return cls(model=model, masked=masked)

    @classmethod
    def for_viewer(cls, model: CustomerModel, info: Info) -> Self:
        """As the viewer may see it: analysts see other people's contacts masked."""
        viewer = info.context.viewer
        masked = viewer_is_analyst(info) and viewer is not None and viewer.customer_id != model.id
        return cls(model=model, masked=masked)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        node_ids = list(node_ids)
        viewer = info.context.viewer
        ids = [i for i in map(parse_id, node_ids) if i is not None]
        if viewer is None:
            visible: set[int] = set()
        elif viewer_is_staff_reader(info):
            visible = set(ids)
        else:
            visible = {viewer.customer_id} & set(ids)
        models = await info.context.loaders.get(CustomerById).load_many([i for i in ids if i in visible])
        found = {model.id: cls.for_viewer(model, info) for model in models if model is not None}
        return [found.get(parse_id(node_id)) for node_id in node_ids]

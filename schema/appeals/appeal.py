"""`Appeal` (обращение) and `AppealMessage`: a chat between a customer and operators, with attachments.

The owner and staff readers see an appeal; another customer's is exactly a missing one. Analysts read message texts
with phone numbers and email addresses masked, people's contacts masked, and no download links for attachments.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from strawberry import relay

from loaders.appeals import (
    AppealById,
    AppealMessageById,
    AttachmentsByMessage,
    LastMessageByAppeal,
    MessagePagesByAppeal,
    Page,
    UnreadByAppeal,
)
from loaders.identity import CustomerById
from loaders.objects import AccountById, ContractById
from models import enums
from schema.cabinet.account import PersonalAccount
from schema.core.access import (
    can_see_account,
    can_see_contract,
    can_see_customer_owned,
    viewer_is_analyst,
    viewer_is_staff_reader,
)
from schema.core.context import Info
from schema.core.errors import BadUserInputError
from schema.core.nodes import RowNode
from schema.core.pagination import decode_cursor, make_connection, page_size
from schema.files.stored_file import StoredFile
from schema.objects.contract import Contract
from schema.objects.tech_connection import TechConnection
from services.appeals.masking import mask_personal_data
from services.appeals.topics import TOPIC_TITLES

if TYPE_CHECKING:
    from models.enums import Role  # the GraphQL enum is declared in schema.identity.customer
    from schema.identity.customer import Customer

AppealTopic = strawberry.enum(
    enums.AppealTopic,
    name="AppealTopic",
    description="What an appeal is about (тема обращения); `AppealTopicGroup.title` has the portal's wording.",
)
AppealStatus = strawberry.enum(
    enums.AppealStatus,
    name="AppealStatus",
    description="OPEN (awaits the first answer), ANSWERED (an operator replied), AWAITING_OPERATOR (the customer "
    "wrote again), CLOSED (takes no more messages).",
)
AppealTargetKind = strawberry.enum(
    enums.AppealTargetKind,
    name="AppealTargetKind",
    description="What an appeal is about: a personal account, a contract, a tech connection, or another number.",
)


async def _customer(info: Info, customer_id: int | None) -> Customer | None:
    """A person as the viewer may see them: themself, or anyone for staff readers (masked for analysts)."""
    from schema.identity.customer import Customer

    viewer = info.context.viewer
    if customer_id is None or viewer is None:
        return None
    if customer_id != viewer.customer_id and not viewer_is_staff_reader(info):
        return None
    model = await info.context.loaders.get(CustomerById).load(customer_id)
    return Customer.for_viewer(model, info) if model is not None else None


@strawberry.type(description="What an appeal is about: one of the customer's objects, or a number typed in.")
class AppealTarget:
    kind: AppealTargetKind  # type: ignore[valid-type]
    typed_number: strawberry.Private[str]
    account_id: strawberry.Private[int | None]
    contract_id: strawberry.Private[int | None]
    tech_connection_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The account, contract or tech-connection request number, or what the customer typed (masked "
        "for analysts when it is a phone number)."
    )
    def number(self, info: Info) -> str:
        # A typed number may be the customer's phone; the numbers of their objects are what analysts group by.
        if self.kind is enums.AppealTargetKind.OTHER and viewer_is_analyst(info):
            return mask_personal_data(self.typed_number)
        return self.typed_number

    @strawberry.field(description="The personal account, while the viewer may see it.")
    async def personal_account(self, info: Info) -> PersonalAccount | None:
        if self.account_id is None or not await can_see_account(info, self.account_id):
            return None
        model = await info.context.loaders.get(AccountById).load(self.account_id)
        return PersonalAccount.from_model(model) if model is not None else None

    @strawberry.field(description="The contract, while the viewer may see it.")
    async def contract(self, info: Info) -> Contract | None:
        if self.contract_id is None or not await can_see_contract(info, self.contract_id):
            return None
        model = await info.context.loaders.get(ContractById).load(self.contract_id)
        return Contract.from_model(model) if model is not None else None

    @strawberry.field(description="The tech connection («Техприс»), while the viewer may see it.")
    async def tech_connection(self, info: Info) -> TechConnection | None:
        if self.tech_connection_id is None:
            return None
        found = await TechConnection.resolve_nodes(info=info, node_ids=[str(self.tech_connection_id)])
        return found[0]


@strawberry.type(name="AppealMessage", description="A message of an appeal's chat (сообщение в обращении).")
class AppealMessage(RowNode):
    node_loader = AppealMessageById
    appeal_id: strawberry.Private[int]
    author_id: strawberry.Private[int]
    raw_text: strawberry.Private[str]
    author_role: Annotated[Role, strawberry.lazy("schema.identity.customer")] = strawberry.field(
        description="CUSTOMER for the customer's messages; OPERATOR or ADMIN for the supplier's answers."
    )
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            row_id=row.id,
            appeal_id=row.appeal_id,
            author_id=row.author_id,
            raw_text=row.text,
            author_role=row.author_role,
            created_at=row.created_at,
        )

    @strawberry.field(description="The text (may be empty when files are attached); contacts masked for analysts.")
    def text(self, info: Info) -> str:
        return mask_personal_data(self.raw_text) if viewer_is_analyst(info) else self.raw_text

    @strawberry.field(description="Whether the viewer wrote it (a chat shows those on the right).")
    def is_mine(self, info: Info) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.customer_id == self.author_id

    @strawberry.field(description="Who wrote it: the viewer themself, or anyone for staff; null otherwise.")
    async def author(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.identity.customer")] | None:
        return await _customer(info, self.author_id)

    @strawberry.field(description="Attached files, in the order they were attached.")
    async def attachments(self, info: Info) -> list[StoredFile]:
        files = await info.context.loaders.get(AttachmentsByMessage).load(self.row_id)
        return [StoredFile.from_model(file) for file in files]

    @strawberry.field(description="The appeal the message belongs to.")
    async def appeal(self, info: Info) -> Annotated[Appeal, strawberry.lazy("schema.appeals.appeal")] | None:
        found = await Appeal.resolve_nodes(info=info, node_ids=[str(self.appeal_id)])
        return found[0]

    @classmethod
    async def visible_rows(cls, info: Info, rows: list[Any | None]) -> list[Any | None]:
        return [row if row is not None and can_see_customer_owned(info, row.customer_id) else None for row in rows]


def message_cursor(after: str | None) -> tuple[int] | None:
    values = decode_cursor(after)
    if values is None:
        return None
    if len(values) != 1 or not isinstance(values[0], int):
        raise BadUserInputError("Неверный курсор")
    return (values[0],)


@strawberry.type(name="Appeal", description="An appeal (обращение): a chat with the supplier about one object.")
class Appeal(RowNode):
    node_loader = AppealById
    customer_id: strawberry.Private[int]
    assigned_operator_id: strawberry.Private[int | None]
    topic: AppealTopic  # type: ignore[valid-type]
    status: AppealStatus  # type: ignore[valid-type]
    target: AppealTarget
    created_at: datetime = strawberry.field(description="When the customer opened it.")
    last_message_at: datetime = strawberry.field(description="The latest message (the list is ordered by it).")
    waiting_since: datetime | None = strawberry.field(
        description="Since when the customer awaits an answer; null once answered or closed."
    )
    closed_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            row_id=row.id,
            customer_id=row.customer_id,
            assigned_operator_id=row.assigned_operator_id,
            topic=row.topic,
            status=row.status,
            target=AppealTarget(
                kind=row.target_kind,
                typed_number=row.target_number,
                account_id=row.account_id,
                contract_id=row.contract_id,
                tech_connection_id=row.tech_connection_id,
            ),
            created_at=row.created_at,
            last_message_at=row.last_message_at,
            waiting_since=row.waiting_since,
            closed_at=row.closed_at,
        )

    @strawberry.field(description="The topic as the portal words it, e.g. «Замена/опломбировка ПУ».")
    def topic_title(self) -> str:
        return TOPIC_TITLES[self.topic]

    @strawberry.field(
        description="Messages the viewer's side has not read: the operators' answers for the customer, the "
        "customer's messages for staff. `markAppealRead` clears it."
    )
    async def unread_count(self, info: Info) -> int:
        unread = await info.context.loaders.get(UnreadByAppeal).load(self.row_id)
        return unread.by_operators if viewer_is_staff_reader(info) else unread.by_customer

    @strawberry.field(description="The latest message, for a list's preview line.")
    async def last_message(self, info: Info) -> AppealMessage | None:
        row = await info.context.loaders.get(LastMessageByAppeal).load(self.row_id)
        return AppealMessage.from_row(row) if row is not None else None

    @strawberry.field(
        description="The chat in the order it was written, oldest first (at most 100 per page). Paging on from the "
        "last cursor later also fetches what was written since."
    )
    async def messages(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> relay.Connection[AppealMessage]:
        page = Page(first=page_size(first), after=message_cursor(after))
        rows = await info.context.loaders.get(MessagePagesByAppeal).load((self.row_id, page))
        return make_connection(
            rows, first=page.first, to_node=AppealMessage.from_row, cursor_of=lambda row: (row.id,),
            has_previous=after is not None,
        )  # fmt: skip

    @strawberry.field(description="Who wrote the appeal (contacts masked for analysts).")
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.identity.customer")] | None:
        return await _customer(info, self.customer_id)

    @strawberry.field(description="The operator it is assigned to; shown to staff only.")
    async def assigned_operator(
        self, info: Info
    ) -> Annotated[Customer, strawberry.lazy("schema.identity.customer")] | None:
        if not viewer_is_staff_reader(info):
            return None
        return await _customer(info, self.assigned_operator_id)

    @classmethod
    async def visible_rows(cls, info: Info, rows: list[Any | None]) -> list[Any | None]:
        return [row if row is not None and can_see_customer_owned(info, row.customer_id) else None for row in rows]

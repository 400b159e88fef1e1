"""Inputs and payloads of the appeals mutations, the topic groups of «Обращения», and the events pushed live."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload

from schema.appeals.appeal import Appeal, AppealMessage, AppealTopic
from schema.core.errors import UserError
from services.appeals.events import InboxChange as InboxChangeEnum

ATTACHMENTS_DESCRIPTION = (
    "Files: PDF, JPEG, PNG or a signature (.sig/.p7s), at most 10 MB each, 20 MB and 5 files per message. Sent as a "
    "GraphQL multipart request with the header `Apollo-Require-Preflight: true`."
)


@strawberry.input(
    one_of=True,
    description="What the appeal is about: one of the viewer's personal accounts, contracts or tech connections "
    "(«Выберите лицевой счёт, договор или заявку на тех. присоединение»), or another number («Указать другой»).",
)
class AppealTargetInput:
    object_id: relay.GlobalID | None = strawberry.UNSET
    other_number: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="A number typed in (up to 32 letters, digits, '-', '/', '.'); one of the viewer's own numbers "
        "is recorded as that object.",
    )


@strawberry.input
class CreateAppealInput:
    target: AppealTargetInput
    topic: AppealTopic  # type: ignore[valid-type]
    text: str = strawberry.field(description="The first message (up to 4000 characters); may be empty with files.")
    attachments: list[Upload] = strawberry.field(default_factory=list, description=ATTACHMENTS_DESCRIPTION)


@strawberry.type
class CreateAppealPayload:
    appeal: Appeal | None = None
    message: AppealMessage | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class PostAppealMessageInput:
    appeal_id: relay.GlobalID
    text: str = strawberry.field(default="", description="Up to 4000 characters; may be empty with files.")
    attachments: list[Upload] = strawberry.field(default_factory=list, description=ATTACHMENTS_DESCRIPTION)


@strawberry.type
class PostAppealMessagePayload:
    appeal: Appeal | None = None
    message: AppealMessage | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CloseAppealInput:
    appeal_id: relay.GlobalID


@strawberry.input
class MarkAppealReadInput:
    appeal_id: relay.GlobalID


@strawberry.input
class AssignAppealInput:
    appeal_id: relay.GlobalID
    operator_id: relay.GlobalID | None = strawberry.field(
        default=None, description="An operator's `Customer` id; omitted: the viewer takes the appeal."
    )


@strawberry.type(description="The appeal as changed, or why nothing was changed.")
class AppealPayload:
    appeal: Appeal | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="One topic of the «Обращения» section: the customer's appeals are grouped by it.")
class AppealTopicGroup:
    topic: AppealTopic  # type: ignore[valid-type]
    title: str = strawberry.field(description="As the portal words it, e.g. «Предоставление рассрочки».")
    appeal_count: int
    open_count: int = strawberry.field(description="Appeals not closed yet.")
    unread_count: int = strawberry.field(description="Messages the viewer's side has not read, over the topic.")
    last_activity_at: datetime | None = strawberry.field(description="The latest message of the topic's appeals.")


InboxChange = strawberry.enum(
    InboxChangeEnum, name="AppealInboxChange", description="What changed in the operators' inbox."
)


@strawberry.type(description="A message added to an appeal, as pushed live.")
class AppealMessageEvent:
    event_id: str = strawberry.field(
        description="Pass the last one as `after` when subscribing again to receive every message missed meanwhile."
    )
    appeal: Appeal
    message: AppealMessage


@strawberry.type(description="A change in the operators' inbox, as pushed live.")
class AppealInboxEvent:
    event_id: str = strawberry.field(
        description="Pass the last one as `after` when subscribing again to receive every change missed meanwhile."
    )
    change: InboxChange  # type: ignore[valid-type]
    appeal: Appeal
    message: AppealMessage | None = strawberry.field(description="The message added, for message changes.")

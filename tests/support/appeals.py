"""Helpers for the appeals tests: people and appeals, multipart requests with several files, the GraphQL documents."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from models import Customer, PersonalAccount
from models.enums import AppealTargetKind, AppealTopic, Role
from services.appeals import conversation
from services.appeals.conversation import Author, Posted
from services.appeals.targets import TargetChoice
from services.platform.runtime import Runtime
from tests.support.factories import create_account, create_customer
from tests.support.identity import token_for
from tests.support.objects import PREFLIGHT, global_id, pdf_document

ERRORS = "errors { field code message }"
MESSAGE_FIELDS = "id text authorRole isMine createdAt attachments { filename contentType sizeBytes url }"
APPEAL_FIELDS = (
    "id topic topicTitle status unreadCount createdAt lastMessageAt waitingSince closedAt "
    "target { kind number personalAccount { number } contract { number } techConnection { requestNumber } }"
)

CREATE_APPEAL = f"""
mutation($input: CreateAppealInput!) {{
  createAppeal(input: $input) {{ appeal {{ {APPEAL_FIELDS} }} message {{ {MESSAGE_FIELDS} }} {ERRORS} }}
}}"""
POST_MESSAGE = f"""
mutation($input: PostAppealMessageInput!) {{
  postAppealMessage(input: $input) {{ appeal {{ {APPEAL_FIELDS} }} message {{ {MESSAGE_FIELDS} }} {ERRORS} }}
}}"""
CLOSE_APPEAL = f"""
mutation($input: CloseAppealInput!) {{ closeAppeal(input: $input) {{ appeal {{ {APPEAL_FIELDS} }} {ERRORS} }} }}"""
MARK_READ = f"""
mutation($input: MarkAppealReadInput!) {{
  markAppealRead(input: $input) {{ appeal {{ {APPEAL_FIELDS} }} {ERRORS} }}
}}"""
ASSIGN_APPEAL = f"""
mutation($input: AssignAppealInput!) {{
  assignAppeal(input: $input) {{ appeal {{ id status assignedOperator {{ id }} }} {ERRORS} }}
}}"""
APPEAL_NODE = f"""
query($id: ID!) {{
  node(id: $id) {{
    ... on Appeal {{
      {APPEAL_FIELDS}
      customer {{ phone }}
      messages(first: 100) {{ edges {{ node {{ {MESSAGE_FIELDS} }} }} }}
    }}
  }}
}}"""
MESSAGE_ADDED = f"""
subscription($appealId: ID, $after: String) {{
  appealMessageAdded(appealId: $appealId, after: $after) {{
    eventId appeal {{ id status unreadCount }} message {{ {MESSAGE_FIELDS} }}
  }}
}}"""
INBOX_CHANGED = """
subscription($after: String) {
  appealInboxChanged(after: $after) { eventId change appeal { id status } message { text authorRole } }
}"""


@dataclass
class Conversation:
    customer: Customer
    operator: Customer
    account: PersonalAccount
    customer_token: str
    operator_token: str


async def conversation_people(runtime: Runtime) -> Conversation:
    now = runtime.clock.now()
    customer = await create_customer(runtime.db, now=now)
    operator = await create_customer(runtime.db, now=now, role=Role.OPERATOR)
    account, _ = await create_account(runtime.db, now=now, owner=customer)
    return Conversation(
        customer=customer,
        operator=operator,
        account=account,
        customer_token=await token_for(runtime, customer),
        operator_token=await token_for(runtime, operator),
    )


async def open_appeal(
    runtime: Runtime, customer: Customer, account: PersonalAccount, text: str = "Прошу проверить начисление"
) -> Posted:
    """An appeal opened through the service (for tests about what happens next)."""
    assert customer.id is not None
    return await conversation.create_appeal(
        runtime,
        customer_id=customer.id,
        target=TargetChoice(kind=AppealTargetKind.ACCOUNT, object_id=account.id),
        topic=AppealTopic.LK_QUESTION,
        text=text,
        attachments=[],
    )


async def reply(runtime: Runtime, operator: Customer, appeal_id: int, text: str) -> Posted:
    assert operator.id is not None
    return await conversation.post_message(
        runtime, appeal_id=appeal_id, author=Author(operator.id, operator.role), text=text, attachments=[]
    )


def appeal_gid(appeal_id: int | None) -> str:
    return global_id("Appeal", appeal_id)


def png_image() -> bytes:
    """A real 1×1 PNG, as a photo of a meter would be (in miniature)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def pdf_file(name: str = "akt.pdf") -> tuple[str, bytes, str]:
    return name, pdf_document(), "application/pdf"


def png_file(name: str = "schetchik.png") -> tuple[str, bytes, str]:
    return name, png_image(), "image/png"


async def post_files(
    http: httpx.AsyncClient,
    *,
    query: str,
    variables: dict[str, Any],
    files: Sequence[tuple[str, bytes, str]],
    token: str | None,
) -> dict[str, Any]:
    """A GraphQL multipart request with `files` as `input.attachments`; the response body."""
    variables = {**variables, "input": {**variables["input"], "attachments": [None] * len(files)}}
    response = await http.post(
        "/graphql",
        data={
            "operations": orjson.dumps({"query": query, "variables": variables}).decode(),
            "map": orjson.dumps({str(i): [f"variables.input.attachments.{i}"] for i in range(len(files))}).decode(),
        },
        files={str(i): file for i, file in enumerate(files)},
        headers={**PREFLIGHT, **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body

"""Helpers for the objects tests: accounts with activation codes, contracts, uploads over multipart, service tokens."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

import httpx
import orjson
import sqlalchemy as sa
from fpdf import FPDF
from strawberry import relay

from models import Contract, Customer, PersonalAccount
from models.enums import ContractHolderKind
from models.objects import ActivationCode
from services.integrations.service_tokens import create_service_token
from services.objects.inn import check_digit
from services.platform.database import Database, run
from services.platform.hashing import hash_activation_code
from services.platform.runtime import Runtime
from tests.support.identity import token_for

__all__ = ["token_for"]

_sequence = itertools.count(1)
PREFLIGHT = {"Apollo-Require-Preflight": "true"}


def global_id(type_name: str, pk: int | None) -> str:
    return relay.to_base64(type_name, str(pk))


def valid_inn(length: int = 10) -> str:
    """A fresh INN of region 29 with correct check digits."""
    check_digits = 1 if length == 10 else 2
    body = f"29{next(_sequence):0{length - 2 - check_digits}d}"
    if length == 10:
        return body + str(check_digit(body, (2, 4, 10, 3, 5, 9, 4, 6, 8)))
    body += str(check_digit(body, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)))
    return body + str(check_digit(body, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)))


def unique_contract_number() -> str:
    return f"77-{next(_sequence):06d}"


async def add_activation_code(
    db: Database, account: PersonalAccount, code: str, *, issued_at: datetime, expires_at: datetime
) -> None:
    assert account.id is not None
    async with db.session() as session:
        session.add(
            ActivationCode(
                account_id=account.id, code_hash=hash_activation_code(code), issued_at=issued_at, expires_at=expires_at
            )
        )
        await session.commit()


async def create_contract(db: Database, *, now: datetime, inn: str | None = None) -> Contract:
    contract = Contract(
        number=unique_contract_number(),
        inn=inn or valid_inn(),
        holder_name="ООО «Тестовая организация»",
        holder_kind=ContractHolderKind.LEGAL_ENTITY,
        signed_on=date(2024, 1, 1),
        created_at=now,
    )
    async with db.session() as session:
        session.add(contract)
        await session.commit()
    return contract


async def count_where(runtime: Runtime, table: str, where: str = "true", **params: Any) -> int:
    async with runtime.db.session() as session:
        result = await run(session, sa.text(f"SELECT count(*) FROM {table} WHERE {where}"), params)
        return int(result.scalar_one())


async def sms_of(runtime: Runtime, customer: Customer, kind: str) -> list[str]:
    """Bodies of the SMS of `kind` queued for `customer`."""
    async with runtime.db.session() as session:
        result = await run(
            session,
            sa.text(
                "SELECT body FROM outbound_message WHERE channel = 'SMS' AND recipient = :phone AND kind = :kind "
                "AND sender = :sender ORDER BY id"
            ),
            {"phone": customer.phone, "kind": kind, "sender": runtime.settings.sms_sender},
        )
        return [row.body for row in result.all()]


def pdf_document() -> bytes:
    """A real (one-page) PDF, as a scanned application would be."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Signed application")
    return bytes(pdf.output())


async def post_upload(
    http: httpx.AsyncClient,
    *,
    query: str,
    variables: dict[str, Any],
    file_path: str,
    content: bytes,
    filename: str = "zayavlenie.pdf",
    content_type: str = "application/pdf",
    token: str | None = None,
    preflight: bool = True,
) -> httpx.Response:
    """A GraphQL multipart request (the spec of jaydenseric/graphql-multipart-request-spec) with one file."""
    headers = {**(PREFLIGHT if preflight else {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    return await http.post(
        "/graphql",
        data={"operations": orjson.dumps({"query": query, "variables": variables}).decode(),
              "map": orjson.dumps({"0": [file_path]}).decode()},
        files={"0": (filename, content, content_type)},
        headers=headers,
    )  # fmt: skip


async def integration_token(runtime: Runtime, *scopes: str) -> str:
    return await create_service_token(runtime, name=f"grid-company-{next(_sequence)}", scopes=scopes)


async def file_count(runtime: Runtime) -> int:
    """Files in the storage directory (a refused upload must leave none)."""
    root = runtime.settings.files_dir
    return sum(1 for path in root.rglob("*") if path.is_file()) if root.exists() else 0

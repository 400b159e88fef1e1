"""Integration batches: a sender's batch id is taken once (`import_batch`, unique on sender and id), so a batch sent
again (a retry after a lost answer) changes nothing and is answered as a repeat."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ImportBatch
from services.errors import DomainError, ErrorCode
from services.platform.database import run

MAX_BATCH_ID = 100


def check_batch_id(batch_id: str) -> None:
    if not batch_id.strip() or len(batch_id) > MAX_BATCH_ID:
        raise DomainError.single(
            ErrorCode.INVALID_INPUT, f"Идентификатор пакета: от 1 до {MAX_BATCH_ID} символов", "input", "batchId"
        )


async def claim_batch(
    session: AsyncSession, *, sender: str, batch_id: str, kind: str, items: int, now: datetime
) -> bool:
    """Record the batch in the caller's transaction; False when the sender has sent this batch id before."""
    claimed = (
        await run(
            session,
            insert(ImportBatch)
            .values(id=uuid.uuid4(), sender=sender, external_id=batch_id, kind=kind, received_at=now, items=items)
            .on_conflict_do_nothing(index_elements=["sender", "external_id"])
            .returning(sa.column("id")),
        )
    ).first()
    return claimed is not None

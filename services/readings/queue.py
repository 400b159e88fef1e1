"""The operators' list of submissions, oldest first (a review queue is worked in arrival order)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from models import ReadingSubmission
from models.enums import SubmissionStatus
from services.platform.database import run
from services.platform.runtime import Runtime

SUBMISSION = ReadingSubmission.__table__  # type: ignore[attr-defined]


async def submissions_page(
    runtime: Runtime, *, status: SubmissionStatus | None, limit: int, after: tuple[datetime, int] | None
) -> Sequence[Any]:
    """Up to `limit` submissions after the keyset `after` = (submitted_at, id)."""
    statement = sa.select(*SUBMISSION.c).order_by(SUBMISSION.c.submitted_at, SUBMISSION.c.id).limit(limit)
    if status is not None:
        statement = statement.where(SUBMISSION.c.status == status)
    if after is not None:
        statement = statement.where(sa.tuple_(SUBMISSION.c.submitted_at, SUBMISSION.c.id) > sa.tuple_(*after))
    async with runtime.db.session() as session:
        return (await run(session, statement)).all()

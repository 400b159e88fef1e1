"""A message as written: its text and attachments, checked before anything is stored.

Attachments are the kinds and sizes the portal takes as documents (PDF, JPEG, PNG, signatures; 10 MB each), at
most `MAX_ATTACHMENTS` of them and `MAX_TOTAL_BYTES` together: enough for a few scans or photos of a meter.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import FilePurpose
from models.infra import StoredFile
from services.errors import DomainError, ErrorCode, Problem
from services.files.storage import FileStorage
from services.files.uploads import CheckedFile, UploadSource, read_checked, stored_file

MAX_TEXT_LENGTH = 4000
MAX_ATTACHMENTS = 5
MAX_TOTAL_BYTES = 20 * 1024 * 1024
TEXT_FIELD = ("input", "text")
ATTACHMENTS_FIELD = ("input", "attachments")


@dataclass(frozen=True, slots=True)
class Draft:
    text: str
    files: tuple[CheckedFile, ...]


async def checked_draft(*, text: str, attachments: Sequence[UploadSource]) -> Draft:
    """The message to store, or a DomainError with every problem found (nothing is stored either way)."""
    text = text.strip()
    problems: list[Problem] = []
    if len(text) > MAX_TEXT_LENGTH:
        problems.append(
            Problem(ErrorCode.INVALID_INPUT, f"Сообщение — не длиннее {MAX_TEXT_LENGTH} символов", TEXT_FIELD)
        )
    files: list[CheckedFile] = []
    if len(attachments) > MAX_ATTACHMENTS:
        problems.append(
            Problem(
                ErrorCode.TOO_MANY_ATTACHMENTS,
                f"К сообщению можно приложить не больше {MAX_ATTACHMENTS} файлов",
                ATTACHMENTS_FIELD,
            )
        )
    else:
        for index, upload in enumerate(attachments):
            checked = await read_checked(upload, field=(*ATTACHMENTS_FIELD, str(index)))
            if isinstance(checked, Problem):
                problems.append(checked)
            else:
                files.append(checked)
        if sum(len(file.data) for file in files) > MAX_TOTAL_BYTES:
            problems.append(
                Problem(
                    ErrorCode.FILE_TOO_LARGE,
                    f"Файлы одного сообщения — не больше {MAX_TOTAL_BYTES // (1024 * 1024)} МБ вместе. "
                    "Отправьте часть файлов следующим сообщением",
                    ATTACHMENTS_FIELD,
                )
            )
    if not text and not attachments:
        problems.append(Problem(ErrorCode.EMPTY_MESSAGE, "Напишите сообщение или приложите файл", TEXT_FIELD))
    if problems:
        raise DomainError(problems)
    return Draft(text=text, files=tuple(files))


async def store_files(
    stack: AsyncExitStack,
    session: AsyncSession,
    storage: FileStorage,
    *,
    draft: Draft,
    owner_id: int,
    now: datetime,
) -> list[StoredFile]:
    """Store the draft's files in the caller's unit of work; each is deleted again if the stack unwinds on an error."""
    stored = []
    for checked in draft.files:
        stored.append(
            await stack.enter_async_context(
                stored_file(
                    session,
                    storage,
                    checked=checked,
                    purpose=FilePurpose.APPEAL_ATTACHMENT,
                    owner_id=owner_id,
                    now=now,
                )
            )
        )
    return stored

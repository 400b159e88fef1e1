"""Taking a file from a client: read with a cap, recognise by its bytes, and store it with its `StoredFile` row.

A refused file leaves nothing behind: the checks run on the bytes in memory before anything is written, and a file
put into the storage is deleted again when the unit of work that was to record it fails.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from models.enums import FilePurpose
from models.infra import StoredFile
from services.errors import ErrorCode, Problem
from services.files.sniff import KIND_INFO, FileKind, sniff
from services.files.storage import FileStorage, new_key

MAX_FILE_BYTES = 10 * 1024 * 1024
CHUNK_BYTES = 256 * 1024
_UNSAFE_NAME_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|]+")


class UploadSource(Protocol):
    """What an upload offers (Starlette's `UploadFile` is one)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True, slots=True)
class CheckedFile:
    data: bytes
    kind: FileKind
    filename: str
    sha256: str

    @property
    def content_type(self) -> str:
        return KIND_INFO[self.kind].content_type


def display_name(raw: str | None, kind: FileKind) -> str:
    """The client's file name as shown back to people: no path, no control or reserved characters, ≤ 255."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARACTERS.sub("_", name).strip(" .")
    if not name:
        name = "file" + KIND_INFO[kind].extension
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 254 - len(extension)] + dot + extension) if dot and len(extension) < 16 else name[:255]
    return name


def _too_large(field: tuple[str, ...], max_bytes: int) -> Problem:
    megabytes = max_bytes // (1024 * 1024)
    return Problem(ErrorCode.FILE_TOO_LARGE, f"Файл больше {megabytes} МБ. Приложите файл меньшего размера", field)


def _unsupported(field: tuple[str, ...]) -> Problem:
    return Problem(
        ErrorCode.UNSUPPORTED_FILE_TYPE,
        "Приложите файл PDF, JPEG или PNG либо файл электронной подписи (.sig, .p7s)",
        field,
    )


async def read_checked(
    upload: UploadSource, *, field: tuple[str, ...], max_bytes: int = MAX_FILE_BYTES
) -> CheckedFile | Problem:
    """The upload's bytes when it is an accepted kind within `max_bytes`, else the problem with it.

    Reading stops as soon as the cap is passed, so a huge upload is never held whole in memory.
    """
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = await upload.read(CHUNK_BYTES)
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            return _too_large(field, max_bytes)
        chunks.append(chunk)
    data = b"".join(chunks)
    kind = sniff(data[:64])
    if kind is None:
        return _unsupported(field)
    return CheckedFile(
        data=data, kind=kind, filename=display_name(upload.filename, kind), sha256=hashlib.sha256(data).hexdigest()
    )


@asynccontextmanager
async def stored_file(
    session: AsyncSession,
    storage: FileStorage,
    *,
    checked: CheckedFile,
    purpose: FilePurpose,
    owner_id: int | None,
    now: datetime,
) -> AsyncIterator[StoredFile]:
    """Put the file and add its row to the caller's unit of work, which must commit inside this block.

    If the block fails, the file is deleted again (the row goes with the rolled-back transaction).
    """
    key = new_key(purpose)
    await storage.put(key, checked.data)
    try:
        row = StoredFile(
            owner_id=owner_id,
            purpose=purpose,
            storage_key=key,
            filename=checked.filename,
            content_type=checked.content_type,
            size_bytes=len(checked.data),
            sha256=checked.sha256,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        yield row
    except BaseException:
        await storage.delete(key)
        raise

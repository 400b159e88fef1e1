"""One storage interface for every file the portal keeps; local disk under `settings.files_dir` by default.

Keys are made by the server (`<purpose>/<random hex>`), never from a client's file name, so a key cannot escape the
storage root. Writes go to a temporary name and are renamed into place: a reader never sees half a file.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from pathlib import Path
from typing import Protocol

from models.enums import FilePurpose

_KEY = re.compile(r"[a-z_]+/[0-9a-f]{32}")


class FileStorage(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def open(self, key: str) -> bytes:
        """The file's bytes; FileNotFoundError when there is none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the file; nothing happens when there is none."""
        ...


def new_key(purpose: FilePurpose) -> str:
    return f"{purpose.value.lower()}/{uuid.uuid4().hex}"


class LocalFileStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    async def put(self, key: str, data: bytes) -> None:
        path = self.path_of(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".part")
            with partial.open("wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            partial.replace(path)

        await asyncio.to_thread(write)

    async def open(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path_of(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path_of(key).unlink, missing_ok=True)

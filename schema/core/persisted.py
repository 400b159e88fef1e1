"""Persisted documents (issue 14): Apollo's automatic persisted queries and the frontend's trusted manifest.

- APQ: `extensions.persistedQuery = {"version": 1, "sha256Hash": …}`. A hash alone runs the stored document or answers
  `PERSISTED_QUERY_NOT_FOUND` (Apollo's persisted-query link then sends hash and document); hash and document: the
  hash is checked against the document, the document stored and run. Over POST and GET alike.
- Storage: Redis when configured (shared by every worker, kept `APQ_TTL_SECONDS` after last registration), else a
  bounded in-process map (`LOCAL_MAX_DOCUMENTS`, least recently used dropped): a miss only costs the client one
  more round trip, so nothing here needs to outlive the process.
- The trusted manifest (`PERSISTED_DOCUMENTS_MANIFEST`): the first-party frontend's documents by hash, checked at start.
- `PERSISTED_DOCUMENTS=required`: customers and anonymous callers run only trusted documents; staff (GraphiQL) and
  integrations may send any document.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from redis.asyncio import Redis

APQ_TTL_SECONDS = 7 * 24 * 3600
LOCAL_MAX_DOCUMENTS = 2000
# A document stored by APQ is at most this long (longer ones run, but are not stored).
MAX_STORED_DOCUMENT_CHARS = 100_000
REDIS_PREFIX = "lk:apq:"
_SHA256 = re.compile("^[0-9a-f]{64}$")


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PersistedRefusal(Exception):
    code: str
    message: str


NOT_FOUND = PersistedRefusal("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
HASH_MISMATCH = PersistedRefusal("PERSISTED_QUERY_HASH_MISMATCH", "sha256Hash не совпадает с хэшем документа")
INVALID = PersistedRefusal(
    "PERSISTED_QUERY_INVALID",
    "extensions.persistedQuery: нужен объект {version: 1, sha256Hash: 64 шестнадцатеричных знака}",
)
REQUIRED = PersistedRefusal(
    "PERSISTED_DOCUMENT_REQUIRED", "Принимаются только документы из списка доверенных (persisted documents)"
)


def load_manifest(path: Path) -> dict[str, str]:
    """hash → document from a JSON object of them, or Apollo's `persisted-query-manifest.json`; every hash checked."""
    raw: Any = orjson.loads(path.read_bytes())
    if isinstance(raw, dict) and isinstance(raw.get("operations"), list):
        pairs = [(entry["id"], entry["body"]) for entry in raw["operations"]]
    elif isinstance(raw, dict):
        pairs = list(raw.items())
    else:
        raise ValueError(f"{path}: expected a JSON object of sha256 → document")
    manifest: dict[str, str] = {}
    for key, document in pairs:
        if not isinstance(key, str) or not isinstance(document, str) or document_hash(document) != key.lower():
            raise ValueError(f"{path}: the document of {key!r} does not hash to it")
        manifest[key.lower()] = document
    return manifest


class PersistedDocuments:
    def __init__(self, *, redis: Redis | None, trusted: dict[str, str], required: bool) -> None:
        self.redis = redis
        self.trusted = trusted
        self.required = required
        self._local: OrderedDict[str, str] = OrderedDict()

    async def _stored(self, sha: str) -> str | None:
        if self.redis is not None:
            value = await self.redis.get(REDIS_PREFIX + sha)
            return value.decode() if isinstance(value, bytes) else value
        document = self._local.get(sha)
        if document is not None:
            self._local.move_to_end(sha)
        return document

    async def _store(self, sha: str, document: str) -> None:
        if len(document) > MAX_STORED_DOCUMENT_CHARS:
            return
        if self.redis is not None:
            await self.redis.set(REDIS_PREFIX + sha, document, ex=APQ_TTL_SECONDS)
            return
        self._local[sha] = document
        self._local.move_to_end(sha)
        while len(self._local) > LOCAL_MAX_DOCUMENTS:
            self._local.popitem(last=False)

    async def document(self, *, query: str | None, extensions: Any, may_send_documents: bool) -> str | None:
        """The document to run (None: the request has none); raises PersistedRefusal."""
        free = may_send_documents or not self.required
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if persisted is None:
            if query is None or free or document_hash(query) in self.trusted:
                return query
            raise REQUIRED
        if not isinstance(persisted, dict):
            raise INVALID
        sha = persisted.get("sha256Hash")
        if persisted.get("version") != 1 or not isinstance(sha, str) or not _SHA256.match(sha.lower()):
            raise INVALID
        sha = sha.lower()
        if query is None:
            document = self.trusted.get(sha)
            if document is None and free:
                document = await self._stored(sha)
            if document is None:
                raise NOT_FOUND if free else REQUIRED
            return document
        if document_hash(query) != sha:
            raise HASH_MISMATCH
        if sha not in self.trusted:
            if not free:
                raise REQUIRED
            await self._store(sha, query)
        return query

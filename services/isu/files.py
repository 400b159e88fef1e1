"""A head-end CSV file loaded batch by batch (`uv run server.py isu-import FILE.csv`).

Each batch is its own transaction, named by the file's SHA-256 and its position, so loading the same file again
answers the stored reports and changes nothing, and a file cut short by a fault is finished by loading it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from services.integrations.service_tokens import ServicePrincipal
from services.isu.csv_format import BATCH_ROWS, read_batches
from services.isu.ingest import IngestReport, ingest_batch
from services.platform.clock import Clock
from services.platform.database import Database


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        yield from file


async def import_file(
    *,
    db: Database,
    clock: Clock,
    principal: ServicePrincipal,
    path: Path,
    sender: str,
    rows_per_batch: int = BATCH_ROWS,
) -> list[IngestReport]:
    digest = _digest(path)[:40]
    reports = []
    for index, batch in enumerate(read_batches(_lines(path), rows_per_batch=rows_per_batch), start=1):
        batch_id = f"file:{digest}:{index}"
        reports.append(
            await ingest_batch(db=db, clock=clock, principal=principal, sender=sender, batch_id=batch_id, batch=batch)
        )
    return reports

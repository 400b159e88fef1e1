"""Background work of e-receipts: the `statement.issued` handler (the emails themselves go by the delivery job)."""

from __future__ import annotations

from services.ereceipts import email  # registers the e-receipt composer with the delivery job
from services.ereceipts.queue import queue_e_receipts
from services.platform.background import JOBS, Job

JOBS.append(Job(name="e-receipts", run_once=queue_e_receipts, idle_seconds=2))

__all__ = ["email"]

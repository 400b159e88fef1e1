"""Background work of payments: settling payments left PENDING past the provider's timeout."""

from __future__ import annotations

from services.payments.notifications import settle_stale_payments
from services.platform.background import JOBS, Job

# Once a minute is plenty: a payment becomes stale only after PAYMENT_PENDING_TIMEOUT_MINUTES.
JOBS.append(Job(name="settle-stale-payments", run_once=settle_stale_payments, idle_seconds=60))

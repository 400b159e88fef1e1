"""Imports the modules that register background jobs and startup hooks (see `services.platform.background`)."""

from services.ereceipts import jobs as e_receipt_jobs  # statement.issued → e-receipt emails
from services.identity import jobs as identity_jobs  # session guard, rate-limit sweep
from services.messaging import delivery  # SMS and email delivery
from services.payments import jobs as payment_jobs  # stale payments settled
from services.readings import jobs as reading_jobs  # reading processor
from subscriptions import setup as event_setup  # event broker and outbox relay

__all__ = ["delivery", "e_receipt_jobs", "event_setup", "identity_jobs", "payment_jobs", "reading_jobs"]

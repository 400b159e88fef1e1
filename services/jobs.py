"""Imports the modules that register background jobs and startup hooks (see `services.platform.background`)."""

from services.analytics import jobs as analytics_jobs  # analytics rollups refresh
from services.identity import jobs as identity_jobs  # session guard, rate-limit sweep
from services.messaging import delivery  # SMS and email delivery
from services.readings import jobs as reading_jobs  # reading processor
from subscriptions import setup as event_setup  # event broker and outbox relay

__all__ = ["analytics_jobs", "delivery", "event_setup", "identity_jobs", "reading_jobs"]

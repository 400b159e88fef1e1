"""Imports the modules that register background jobs and startup hooks (see `services.platform.background`)."""

from services.events import setup as event_setup  # event broker and outbox relay
from services.identity import jobs as identity_jobs  # session guard, rate-limit sweep
from services.messaging import delivery  # SMS and email delivery
from services.readings import jobs as reading_jobs  # reading processor

__all__ = ["delivery", "event_setup", "identity_jobs", "reading_jobs"]

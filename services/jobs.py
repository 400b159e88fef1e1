"""Imports the modules that register background jobs and startup hooks (see `services.platform.background`)."""

import subscriptions.setup  # noqa: F401  (event broker and outbox relay)

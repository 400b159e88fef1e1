"""Imports the modules that register background jobs and startup hooks (see `services.platform.background`)."""

import subscriptions.setup  # noqa: F401  (event broker and outbox relay)
import services.identity.jobs  # noqa: F401  (session guard, rate-limit sweep)
import services.messaging.delivery  # noqa: F401  (SMS and email delivery)
import services.readings.jobs  # noqa: F401  (reading processor)

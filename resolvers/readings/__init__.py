"""Sending readings, the operators' review, integrations' imports (the subscription is in `subscriptions.readings`)."""

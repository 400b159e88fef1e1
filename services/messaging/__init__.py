"""Outbound SMS and email: queued in the business transaction, delivered by a background job through gateways."""

"""Imports the modules that register background jobs and startup hooks (see `services.platform.background`)."""

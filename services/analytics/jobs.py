"""Registers the analytics rollups' refresh as a background job (imported from `services.jobs`)."""

from services.analytics.rollups import ROLLUP_SECONDS, refresh_once
from services.platform.background import JOBS, Job

JOBS.append(Job(name="analytics-rollups", run_once=refresh_once, idle_seconds=ROLLUP_SECONDS))

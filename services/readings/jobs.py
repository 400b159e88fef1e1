"""Registers the reading processor as a background job (imported from `services.jobs`)."""

from services.platform.background import JOBS, Job
from services.readings.processing import process_once

JOBS.append(Job(name="reading-processor", run_once=process_once, idle_seconds=0.5))

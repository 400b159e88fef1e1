"""Meter readings: what customers type, when it counts, how it is processed and reviewed, what integrations import."""

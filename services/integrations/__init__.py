"""Integrations (billing, grid companies, the ИСУ head-end) and the service tokens they authenticate with."""

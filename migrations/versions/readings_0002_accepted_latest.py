"""readings: an index of each meter's accepted readings, the latest first

A page of a meter's readings (and the first page the cabinet's subtree builds in SQL, issue 15) was a sort of all the
meter's readings; with this partial index it is the first rows of an index scan.

Revision ID: readings_0002_accepted_latest
Revises: jobs_0001_wake_notify
Create Date: 2026-12-04 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "readings_0002_accepted_latest"
down_revision: str | None = "jobs_0001_wake_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_reading_meter_accepted_latest",
        "reading",
        ["meter_id", sa.text("taken_on DESC"), sa.text("id DESC")],
        postgresql_where=sa.text("status = 'ACCEPTED'"),
    )


def downgrade() -> None:
    op.drop_index("ix_reading_meter_accepted_latest", table_name="reading")

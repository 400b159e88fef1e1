"""metering point by meter: an index for Meter.isu (a sequential scan of every point before each series)

Revision ID: isu_0004
Revises: events_0003_outbox_notify
Create Date: 2026-12-03 13:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "isu_0004"
down_revision: str | None = "events_0003_outbox_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_metering_point_meter_id", "metering_point", ["meter_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_metering_point_meter_id", table_name="metering_point")

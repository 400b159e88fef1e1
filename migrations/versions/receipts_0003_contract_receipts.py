"""contract e-receipts: each customer linked to a contract chooses electronic statements and their address

Revision ID: receipts_0003
Revises: isu_0003
Create Date: 2026-12-03 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "receipts_0003"
down_revision: str | None = "0002_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "contract_link", sa.Column("receipt_electronic", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("contract_link", sa.Column("receipt_email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    op.drop_column("contract_link", "receipt_email")
    op.drop_column("contract_link", "receipt_electronic")

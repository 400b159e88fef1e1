"""hardening (issue 13): codes already sent lose their text; who rotated a refresh token (reuse grace)

Revision ID: 0002_hardening
Revises: 0001
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_hardening"
down_revision: str | None = "isu_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE_KINDS = ("REGISTRATION_CODE", "PASSWORD_RECOVERY_CODE", "PHONE_CHANGE_CODE", "EMAIL_CHANGE_CODE")


def upgrade() -> None:
    op.add_column("refresh_token", sa.Column("rotated_by", sa.String(length=64), nullable=True))
    # Messages queued before this revision carry no "secret" mark; their kinds tell which held a code.
    op.execute(
        sa.text(
            "UPDATE outbound_message SET body = :scrubbed WHERE kind = ANY(:kinds) AND status <> 'PENDING'"
        ).bindparams(scrubbed="[текст с кодом удалён после отправки]", kinds=list(CODE_KINDS))
    )
    op.execute(
        sa.text(
            "UPDATE outbound_message SET meta = coalesce(meta, '{}'::jsonb) || '{\"secret\": true}'::jsonb"
            " WHERE kind = ANY(:kinds) AND status = 'PENDING'"
        ).bindparams(kinds=list(CODE_KINDS))
    )


def downgrade() -> None:
    op.drop_column("refresh_token", "rotated_by")  # the scrubbed codes are gone for good, as intended

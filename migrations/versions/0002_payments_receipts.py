"""payments: e-receipt emails (HTML, the statement they carry, one per statement and address), the statement a
payment pays, the outbox positions read by background handlers

Revision ID: 0002_payments
Revises: events_0002_payload_keys
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0002_payments'
down_revision: str | None = 'events_0002_payload_keys'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('outbound_message', sa.Column('html_body', sa.Text(), nullable=True))
    op.add_column('outbound_message', sa.Column('statement_id', sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f('fk_outbound_message_statement_id_statement'), 'outbound_message', 'statement',
        ['statement_id'], ['id'], ondelete='CASCADE',
    )
    op.create_index(
        'uq_outbound_message_statement_recipient', 'outbound_message', ['statement_id', 'recipient'],
        unique=True, postgresql_where=sa.text('statement_id IS NOT NULL'),
    )
    op.add_column('payment', sa.Column('statement_id', sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f('fk_payment_statement_id_statement'), 'payment', 'statement', ['statement_id'], ['id'], ondelete='SET NULL'
    )
    op.create_index(op.f('ix_payment_statement_id'), 'payment', ['statement_id'], unique=False)
    op.create_table(
        'event_consumer',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('position', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_event_consumer')),
    )
    # E-receipts start from now: statements issued before this release were delivered on paper or not at all, and a
    # month-old email «сформирован платёжный документ» would only confuse.
    op.execute(
        "INSERT INTO event_consumer (name, position, updated_at)"
        " SELECT 'e-receipts', coalesce(max(position), 0), now() FROM outbox_event"
    )


def downgrade() -> None:
    op.drop_table('event_consumer')
    op.drop_index(op.f('ix_payment_statement_id'), table_name='payment')
    op.drop_constraint(op.f('fk_payment_statement_id_statement'), 'payment', type_='foreignkey')
    op.drop_column('payment', 'statement_id')
    op.drop_index('uq_outbound_message_statement_recipient', table_name='outbound_message')
    op.drop_constraint(op.f('fk_outbound_message_statement_id_statement'), 'outbound_message', type_='foreignkey')
    op.drop_column('outbound_message', 'statement_id')
    op.drop_column('outbound_message', 'html_body')

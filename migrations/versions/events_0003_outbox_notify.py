"""events: a transaction that writes outbox events NOTIFYs the relays on commit (channel `outbox_event`)

The relays of every process LISTEN on it (services/events/relay.py), so an event is published as soon as it is
committed instead of at the relay's next poll. A statement-level trigger covers every writer: `record_event`, the
INSERT … SELECT of imports and the COPY of the monthly close. PostgreSQL folds a transaction's notifications into
one and delivers it only if the transaction commits.

Revision ID: events_0003_outbox_notify
Revises: receipts_0003
Create Date: 2026-12-03 13:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "events_0003_outbox_notify"
down_revision: str | None = "receipts_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION outbox_event_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('outbox_event', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER outbox_event_notify AFTER INSERT ON outbox_event
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_event_notify()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS outbox_event_notify ON outbox_event")
    op.execute("DROP FUNCTION IF EXISTS outbox_event_notify()")

"""jobs: a transaction that queues a message or a meter reading NOTIFYs the jobs that handle them, on commit

The delivery job (channel `outbound_message`) and the reading processor (channel `reading_submission`) LISTEN on one
connection per process (services/platform/listener.py) instead of polling twice a second: an idle process makes no
statements (issue 15). Statement-level triggers cover every writer (`queue_message`, the e-receipts' INSERT … SELECT,
the readings' forms and imports); PostgreSQL folds a transaction's notifications into one, delivered on commit.

Revision ID: jobs_0001_wake_notify
Revises: isu_0005
Create Date: 2026-12-03 18:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "jobs_0001_wake_notify"
down_revision: str | None = "isu_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("outbound_message", "reading_submission")


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION notify_table_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify(TG_TABLE_NAME, '');
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"""
            CREATE TRIGGER {table}_notify AFTER INSERT ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION notify_table_insert()
            """
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS notify_table_insert()")

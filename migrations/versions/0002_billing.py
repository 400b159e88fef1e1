"""billing: period closes; statements, charges and payments of contracts' delivery points; VAT

Revision ID: 0002_billing
Revises: events_0002_payload_keys
Create Date: 2026-12-03 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_billing"
down_revision: str | None = "0002_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_run",
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_billing_run")),
    )
    for table in ("statement", "charge", "payment"):
        op.alter_column(table, "account_id", existing_type=sa.BigInteger(), nullable=True)
        op.add_column(table, sa.Column("delivery_point_id", sa.BigInteger(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_{table}_delivery_point_id_delivery_point"),
            table,
            "delivery_point",
            ["delivery_point_id"],
            ["id"],
            ondelete="CASCADE",
        )
        op.create_check_constraint(
            op.f(f"ck_{table}_one_payer"), table, "(account_id IS NULL) <> (delivery_point_id IS NULL)"
        )
    op.add_column("statement", sa.Column("vat", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_unique_constraint(
        op.f("uq_statement_delivery_point_id_period"), "statement", ["delivery_point_id", "period"]
    )
    op.add_column("statement", sa.Column("external_id", sa.String(length=200), nullable=True))
    op.create_unique_constraint(op.f("uq_statement_external_id"), "statement", ["external_id"])
    op.create_index("ix_charge_delivery_point_period", "charge", ["delivery_point_id", "period"])
    op.create_index("ix_payment_delivery_point_created", "payment", ["delivery_point_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_payment_delivery_point_created", table_name="payment")
    op.drop_index("ix_charge_delivery_point_period", table_name="charge")
    op.drop_constraint(op.f("uq_statement_delivery_point_id_period"), "statement", type_="unique")
    op.drop_constraint(op.f("uq_statement_external_id"), "statement", type_="unique")
    op.drop_column("statement", "external_id")
    op.drop_column("statement", "vat")
    for table in ("statement", "charge", "payment"):
        op.execute(f"DELETE FROM {table} WHERE account_id IS NULL")
        op.drop_constraint(op.f(f"ck_{table}_one_payer"), table, type_="check")
        op.drop_column(table, "delivery_point_id")
        op.alter_column(table, "account_id", existing_type=sa.BigInteger(), nullable=False)
    op.drop_table("billing_run")

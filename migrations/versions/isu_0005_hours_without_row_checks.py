"""hourly profile without a per-row foreign-key check: the ingest locks its points once per batch instead

A million hours ran a million foreign-key checks (one lookup and row lock of the metering point per row, most of the
insert's time). The ingest takes the same lock (FOR KEY SHARE) on each point of a batch once, so a point cannot go
away under it; a deleted point's hours go with it by the trigger below, as ON DELETE CASCADE did.

Revision ID: isu_0005
Revises: isu_0004
Create Date: 2026-12-03 14:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "isu_0005"
down_revision: str | None = "isu_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(
        "fk_isu_hourly_profile_metering_point_id_metering_point", "isu_hourly_profile", type_="foreignkey"
    )
    op.execute(
        """
        CREATE FUNCTION isu_hourly_profile_of_deleted_points() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM isu_hourly_profile AS h USING gone WHERE h.metering_point_id = gone.id;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER isu_hourly_profile_of_deleted_points AFTER DELETE ON metering_point"
        " REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION isu_hourly_profile_of_deleted_points()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER isu_hourly_profile_of_deleted_points ON metering_point")
    op.execute("DROP FUNCTION isu_hourly_profile_of_deleted_points()")
    op.create_foreign_key(
        "fk_isu_hourly_profile_metering_point_id_metering_point",
        "isu_hourly_profile",
        "metering_point",
        ["metering_point_id"],
        ["id"],
        ondelete="CASCADE",
    )

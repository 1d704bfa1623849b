"""the coordinators and steering-group members of each region

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-05 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "region_coordinator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "coordinator",
                "stuurgroep",
                name="coordinatorrole",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_region_coordinator_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_coordinator")),
        sa.UniqueConstraint("region_id", "email", name=op.f("uq_region_coordinator_region_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_region_coordinator_email"), "region_coordinator", ["email"], unique=False
    )
    op.create_index(
        op.f("ix_region_coordinator_region_id"), "region_coordinator", ["region_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_region_coordinator_region_id"), table_name="region_coordinator")
    op.drop_index(op.f("ix_region_coordinator_email"), table_name="region_coordinator")
    op.drop_table("region_coordinator")

"""block audit trail and staff placements

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 04:54:04.065417
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "block_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_block_event_round_id_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_event")),
    )
    with op.batch_alter_table("block_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_block_event_block_id"), ["block_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_block_event_round_id"), ["round_id"], unique=False)

    with op.batch_alter_table("block_contribution", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("placed_by", sa.String(length=20), server_default="pipeline", nullable=False)
        )

    with op.batch_alter_table("building_block", schema=None) as batch_op:
        # Server defaults fill the rows that already exist.
        batch_op.add_column(
            sa.Column("quote_ids", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("edited_by_staff", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("building_block", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("edited_by_staff")
        batch_op.drop_column("quote_ids")

    with op.batch_alter_table("block_contribution", schema=None) as batch_op:
        batch_op.drop_column("placed_by")

    with op.batch_alter_table("block_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_block_event_round_id"))
        batch_op.drop_index(batch_op.f("ix_block_event_block_id"))

    op.drop_table("block_event")

"""delegation limits: who passed an invitation on, how many hops, attempts per invitation

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delegated_from_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("delegation_hops", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invitation_delegated_from_id_invitation"),
            "invitation",
            ["delegated_from_id"],
            ["id"],
        )
    op.create_table(
        "delegation_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_delegation_attempt_invitation_id_invitation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegation_attempt")),
    )
    op.create_index(
        op.f("ix_delegation_attempt_invitation_id"),
        "delegation_attempt",
        ["invitation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_delegation_attempt_invitation_id"), table_name="delegation_attempt")
    op.drop_table("delegation_attempt")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_invitation_delegated_from_id_invitation"), type_="foreignkey"
        )
        batch_op.drop_column("delegation_hops")
        batch_op.drop_column("delegated_from_id")

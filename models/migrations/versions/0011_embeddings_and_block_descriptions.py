"""contribution embeddings; block descriptions and draft titles

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contribution_embedding",
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("dimension", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contribution_id"], ["contribution.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contribution_id"),
    )
    with op.batch_alter_table("building_block", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
        # Blocks staff already renamed have titles of their own.
        batch_op.add_column(
            sa.Column("title_is_draft", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.execute("UPDATE building_block SET title_is_draft = false WHERE edited_by_staff")


def downgrade() -> None:
    with op.batch_alter_table("building_block", schema=None) as batch_op:
        batch_op.drop_column("title_is_draft")
        batch_op.drop_column("description")
    op.drop_table("contribution_embedding")

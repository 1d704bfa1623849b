"""mailing approvals: the secretariat approves each mailing of a round before it leaves

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "invitation",
    "reminder",
    "confirmation",
    "input_request",
    "calendar_request",
    "calendar_cancel",
    "password_reset",
)


def upgrade() -> None:
    op.create_table(
        "mailing_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                *KINDS, name="outboxkind", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("approved_by", sa.String(length=254), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_mailing_approval_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_mailing_approval_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailing_approval")),
        sa.UniqueConstraint("round_id", "kind", name=op.f("uq_mailing_approval_round_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_mailing_approval_round_id"), "mailing_approval", ["round_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mailing_approval_round_id"), table_name="mailing_approval")
    op.drop_table("mailing_approval")

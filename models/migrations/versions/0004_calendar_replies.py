"""calendar replies

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 05:26:41.046426
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_key", sa.String(length=300), nullable=False),
        sa.Column("mailbox_uid", sa.String(length=100), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("attendee", sa.String(length=254), nullable=False),
        sa.Column("event_uid", sa.String(length=300), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.Column("partstat", sa.String(length=30), nullable=False),
        sa.Column("delegated_to", sa.String(length=254), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "applied",
                "set_aside",
                "resolved",
                name="replyoutcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_calendar_reply_invitation_id_invitation"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["consultation_session.id"],
            name=op.f("fk_calendar_reply_session_id_consultation_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_reply")),
        sa.UniqueConstraint("message_key", name=op.f("uq_calendar_reply_message_key")),
    )
    with op.batch_alter_table("session_attendee", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "partstat", sa.String(length=30), nullable=False, server_default="NEEDS-ACTION"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("session_attendee", schema=None) as batch_op:
        batch_op.drop_column("partstat")

    op.drop_table("calendar_reply")

"""withdrawn invitations (and their cancelled mail); registry uploads waiting for confirmation

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 09:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_INVITATION = ("pending", "accepted", "declined", "delegated")
NEW_INVITATION = (*OLD_INVITATION, "withdrawn")
OLD_OUTBOX = ("pending", "sending", "sent", "failed", "suppressed")
NEW_OUTBOX = (*OLD_OUTBOX, "cancelled")


def _kept() -> dict[str, Any]:
    # SQLite rebuilds a table in batch mode; it stays AUTOINCREMENT (0013) only when asked.
    sqlite = op.get_bind().dialect.name == "sqlite"
    return {"table_kwargs": {"sqlite_autoincrement": True}} if sqlite else {}


def _replace_checks(invitation: Sequence[str], outbox: Sequence[str]) -> None:
    # A VARCHAR with a CHECK listing the allowed values; batch mode lets SQLite, which cannot
    # alter a constraint, rebuild the table with the new one.
    with op.batch_alter_table("invitation", schema=None, **_kept()) as batch_op:
        batch_op.drop_constraint(op.f("ck_invitation_invitationstatus"), type_="check")
        batch_op.create_check_constraint("invitationstatus", sa.column("status").in_(invitation))
    with op.batch_alter_table("outbox_message", schema=None, **_kept()) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_message_outboxstatus"), type_="check")
        batch_op.create_check_constraint("outboxstatus", sa.column("status").in_(outbox))


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None, **_kept()) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_invitation_withdrawn_by_id_account"),
            "account",
            ["withdrawn_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _replace_checks(NEW_INVITATION, NEW_OUTBOX)
    op.create_table(
        "registry_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("account_session_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_session_id"],
            ["account_session.id"],
            name=op.f("fk_registry_upload_account_session_id_account_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_upload")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_registry_upload_key_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_registry_upload_account_session_id"),
        "registry_upload",
        ["account_session_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_registry_upload_account_session_id"), table_name="registry_upload")
    op.drop_table("registry_upload")
    # The older schema knows neither state: a withdrawn invitation reads as declined, and its
    # cancelled mail as failed.
    op.execute(sa.text("UPDATE invitation SET status = 'declined' WHERE status = 'withdrawn'"))
    op.execute(sa.text("UPDATE outbox_message SET status = 'failed' WHERE status = 'cancelled'"))
    _replace_checks(OLD_INVITATION, OLD_OUTBOX)
    with op.batch_alter_table("invitation", schema=None, **_kept()) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_invitation_withdrawn_by_id_account"), type_="foreignkey"
        )
        batch_op.drop_column("withdrawn_by_id")
        batch_op.drop_column("withdrawn_at")

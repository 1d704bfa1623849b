"""suppressed addresses: a hard bounce stops further mail to an address

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("pending", "sending", "sent", "failed")
NEW = (*OLD, "suppressed")


def _replace_check(statuses: Sequence[str]) -> None:
    # A VARCHAR with a CHECK listing the allowed values; batch mode lets SQLite, which cannot
    # alter a constraint, rebuild the table with the new one.
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_message_outboxstatus"), type_="check")
        batch_op.create_check_constraint("outboxstatus", sa.column("status").in_(statuses))


def upgrade() -> None:
    _replace_check(NEW)
    op.create_table(
        "suppressed_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_message.id"],
            name=op.f("fk_suppressed_address_outbox_message_id_outbox_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressed_address")),
        sa.UniqueConstraint("email", name=op.f("uq_suppressed_address_email")),
    )


def downgrade() -> None:
    op.drop_table("suppressed_address")
    # Held mail goes back to the queue: without the list it would simply be sent.
    op.execute(sa.text("UPDATE outbox_message SET status = 'pending' WHERE status = 'suppressed'"))
    _replace_check(OLD)

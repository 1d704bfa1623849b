"""more outbox kinds: reminder, confirmation, input request

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("invitation", "calendar_request", "calendar_cancel")
NEW = (
    "invitation",
    "reminder",
    "confirmation",
    "input_request",
    "calendar_request",
    "calendar_cancel",
)


def _replace_check(kinds: Sequence[str]) -> None:
    # The kind column is a VARCHAR with a CHECK listing the allowed values; batch mode lets
    # SQLite, which cannot alter a constraint, rebuild the table with the new one.
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_message_outboxkind"), type_="check")
        batch_op.create_check_constraint("outboxkind", sa.column("kind").in_(kinds))


def upgrade() -> None:
    _replace_check(NEW)


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM outbox_message WHERE kind NOT IN :kinds").bindparams(
            sa.bindparam("kinds", value=list(OLD), expanding=True)
        )
    )
    _replace_check(OLD)

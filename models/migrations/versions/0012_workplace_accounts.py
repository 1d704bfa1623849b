"""workplace accounts: roles, server-side sessions, password-reset links and their mail

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 07:30:00.000000
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("beheerder", "secretariaat", "staf", "regiocoordinator")
OLD_KINDS = (
    "invitation",
    "reminder",
    "confirmation",
    "input_request",
    "calendar_request",
    "calendar_cancel",
)
NEW_KINDS = (*OLD_KINDS, "password_reset")


def _replace_kind_check(kinds: Sequence[str]) -> None:
    # A VARCHAR with a CHECK listing the allowed values; batch mode lets SQLite, which cannot
    # alter a constraint, rebuild the table with the new one.
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_message_outboxkind"), type_="check")
        batch_op.create_check_constraint("outboxkind", sa.column("kind").in_(kinds))


def _utc(name: str, nullable: bool) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                *ROLES,
                name="role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("totp_secret_sealed", sa.Text(), nullable=False),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        _utc("locked_until", True),
        _utc("created_at", False),
        _utc("last_sign_in_at", True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("email", name=op.f("uq_account_email")),
    )
    op.create_table(
        "account_region",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_region_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_account_region_region_id_region")
        ),
        sa.PrimaryKeyConstraint("account_id", "region_id", name=op.f("pk_account_region")),
    )
    for table, extra in (
        (
            "account_session",
            [
                sa.Column("csrf_token", sa.String(length=64), nullable=False),
                _utc("created_at", False),
                _utc("last_seen_at", False),
                _utc("expires_at", False),
                _utc("second_factor_at", True),
            ],
        ),
        (
            "password_reset_token",
            [_utc("created_at", False), _utc("expires_at", False), _utc("used_at", True)],
        ),
    ):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("token_hash", sa.String(length=64), nullable=False),
            sa.Column("account_id", sa.Integer(), nullable=False),
            *extra,
            sa.ForeignKeyConstraint(
                ["account_id"],
                ["account.id"],
                name=op.f(f"fk_{table}_account_id_account"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint("token_hash", name=op.f(f"uq_{table}_token_hash")),
        )
        op.create_index(op.f(f"ix_{table}_account_id"), table, ["account_id"], unique=False)
    _replace_kind_check(NEW_KINDS)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM outbox_message WHERE kind = 'password_reset'"))
    _replace_kind_check(OLD_KINDS)
    for table in ("password_reset_token", "account_session"):
        op.drop_index(op.f(f"ix_{table}_account_id"), table_name=table)
        op.drop_table(table)
    op.drop_table("account_region")
    op.drop_table("account")

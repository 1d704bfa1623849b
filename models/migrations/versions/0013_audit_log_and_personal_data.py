"""one audit log; ids never reused; anonymised contributions; erased addresses; retention dates

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 09:00:00.000000
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table with an integer id at revision 0012. SQLite gives the highest id to the next row
# once that row is deleted unless a table is AUTOINCREMENT, which only a new table can be.
ID_TABLES = (
    "access_token",
    "account",
    "account_session",
    "availability",
    "block_event",
    "building_block",
    "calendar_reply",
    "candidate_slot",
    "consultation_session",
    "contribution",
    "delegation_attempt",
    "invitation",
    "organisation",
    "outbox_message",
    "password_reset_token",
    "person",
    "region",
    "round",
    "session_attendee",
    "suppressed_address",
    "theme",
)

ANONYMOUS_COLUMNS = (
    ("anonymous_role", 200),
    ("anonymous_sector", 50),
    ("anonymous_region", 100),
    ("anonymous_key", 32),
)

# PostgreSQL refuses any UPDATE, DELETE or TRUNCATE of the audit log, whoever the client, except
# the erasure route: within a transaction that set consult.audit_pseudonymise, an UPDATE may
# change the details and the person id, nothing else (models/audit.py).
PG_FUNCTION = """
CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('consult.audit_pseudonymise', true) = 'on'
       AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor = OLD.actor
       AND NEW.action = OLD.action
       AND NEW.round_id IS NOT DISTINCT FROM OLD.round_id
       AND NEW.subject_type = OLD.subject_type
       AND NEW.subject_id IS NOT DISTINCT FROM OLD.subject_id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END
$$
"""
PG_TRIGGERS = (
    "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()",
)
# SQLite has no transaction settings to check: deletes are refused, and updates of anything but
# the details and the person id.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END",
    "CREATE TRIGGER audit_entry_no_rewrite BEFORE UPDATE OF "
    "id, at, actor, action, round_id, subject_type, subject_id ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END",
)


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        for table in ID_TABLES:
            if table == "contribution":
                continue  # rebuilt below with its new columns
            with op.batch_alter_table(
                table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ):
                pass
    contribution_kwargs = {"sqlite_autoincrement": True} if sqlite else {}
    with op.batch_alter_table(
        "contribution",
        recreate="always" if sqlite else "auto",
        table_kwargs=contribution_kwargs,
    ) as batch_op:
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=True)
        for name, length in ANONYMOUS_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    with op.batch_alter_table("round") as batch_op:
        batch_op.add_column(sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("personal_data_removed_at", sa.DateTime(timezone=True), nullable=True)
        )
    # When rounds already reported were reported is not known: their retention period starts
    # now, so no data goes earlier than the secretariat could expect.
    op.execute(
        sa.text(
            "UPDATE round SET reported_at = CURRENT_TIMESTAMP "
            "WHERE status IN ('reported', 'closed')"
        )
    )
    audit = op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
        sqlite_autoincrement=True,
    )
    for column in ("at", "actor", "action", "round_id", "person_id"):
        op.create_index(op.f(f"ix_audit_entry_{column}"), "audit_entry", [column], unique=False)
    op.create_table(
        "erased_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erased_address")),
        sa.UniqueConstraint("address_hash", name=op.f("uq_erased_address_address_hash")),
        sqlite_autoincrement=True,
    )
    # Staff decisions made before the log existed are its first entries.
    events = bind.execute(
        sa.text(
            "SELECT id, round_id, block_id, actor, action, details, at FROM block_event ORDER BY id"
        )
    ).all()
    if events:
        op.bulk_insert(
            audit,
            [
                {
                    "at": _aware(e.at),
                    "actor": e.actor,
                    "action": f"block.{e.action}",
                    "round_id": e.round_id,
                    "person_id": None,
                    "subject_type": "block" if e.block_id is not None else "round",
                    "subject_id": e.block_id if e.block_id is not None else e.round_id,
                    "details": {"block_event_id": e.id, **_json(e.details)},
                }
                for e in events
            ],
        )
    for statement in (PG_FUNCTION, *PG_TRIGGERS) if not sqlite else SQLITE_TRIGGERS:
        op.execute(sa.text(statement))


def _json(value: object) -> dict[str, object]:
    if isinstance(value, str):
        loaded = json.loads(value)
        return loaded if isinstance(loaded, dict) else {}
    return value if isinstance(value, dict) else {}


def _aware(value: object) -> object:
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_table("erased_address")
    for column in ("at", "actor", "action", "round_id", "person_id"):
        op.drop_index(op.f(f"ix_audit_entry_{column}"), table_name="audit_entry")
    op.drop_table("audit_entry")
    if not sqlite:
        op.execute(sa.text("DROP FUNCTION audit_entry_append_only()"))
    with op.batch_alter_table("round") as batch_op:
        batch_op.drop_column("personal_data_removed_at")
        batch_op.drop_column("reported_at")
    # An anonymised contribution has no person, which the old schema cannot hold.
    anonymised = "SELECT id FROM contribution WHERE person_id IS NULL"
    op.execute(sa.text(f"DELETE FROM block_contribution WHERE contribution_id IN ({anonymised})"))
    op.execute(
        sa.text(f"DELETE FROM contribution_embedding WHERE contribution_id IN ({anonymised})")
    )
    op.execute(sa.text("DELETE FROM contribution WHERE person_id IS NULL"))
    with op.batch_alter_table("contribution") as batch_op:
        for name, _length in reversed(ANONYMOUS_COLUMNS):
            batch_op.drop_column(name)
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=False)

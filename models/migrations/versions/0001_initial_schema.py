"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 04:33:32.123183
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("network", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.UniqueConstraint("name", name=op.f("uq_region_name")),
    )
    op.create_table(
        "round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "inviting",
                "scheduled",
                "collecting",
                "synthesised",
                "reported",
                "closed",
                name="roundstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("answer_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("input_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organiser_name", sa.String(length=200), nullable=False),
        sa.Column("organiser_email", sa.String(length=254), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round")),
        sa.UniqueConstraint("slug", name=op.f("uq_round_slug")),
    )
    op.create_table(
        "theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=50), nullable=False),
        sa.Column("title_nl", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("questions_nl", sa.JSON(), nullable=False),
        sa.Column("questions_en", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme")),
        sa.UniqueConstraint("slug", name=op.f("uq_theme_slug")),
    )
    op.create_table(
        "building_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("key_terms", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "approved",
                "rejected",
                name="blockstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_building_block_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["theme.id"], name=op.f("fk_building_block_theme_id_theme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_building_block")),
    )
    with op.batch_alter_table("building_block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_building_block_round_id"), ["round_id"], unique=False)

    op.create_table(
        "candidate_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_candidate_slot_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["theme.id"], name=op.f("fk_candidate_slot_theme_id_theme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_slot")),
        sa.UniqueConstraint(
            "round_id", "theme_id", "start", name=op.f("uq_candidate_slot_round_id")
        ),
    )
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sector", sa.String(length=50), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_organisation_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("name", "region_id", name=op.f("uq_organisation_name")),
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisation_sector"), ["sector"], unique=False)

    op.create_table(
        "consultation_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("group_number", sa.Integer(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("meeting_url", sa.String(length=500), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "cancelled",
                name="sessionstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("calendar_uid", sa.String(length=200), nullable=False),
        sa.Column("calendar_sequence", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_consultation_session_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["candidate_slot.id"],
            name=op.f("fk_consultation_session_slot_id_candidate_slot"),
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["theme.id"], name=op.f("fk_consultation_session_theme_id_theme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_session")),
        sa.UniqueConstraint("calendar_uid", name=op.f("uq_consultation_session_calendar_uid")),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_person_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("email", name=op.f("uq_person_email")),
    )
    op.create_table(
        "contribution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "pre_session_answer",
                "session_note",
                "lesson_learned",
                "proposal",
                name="contributionkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column(
            "quote_permission",
            sa.Enum(
                "attributable",
                "role_only",
                "not_quotable",
                name="quotepermission",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("source_key", sa.String(length=300), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_contribution_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_contribution_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["consultation_session.id"],
            name=op.f("fk_contribution_session_id_consultation_session"),
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["theme.id"], name=op.f("fk_contribution_theme_id_theme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution")),
        sa.UniqueConstraint("source_key", name=op.f("uq_contribution_source_key")),
    )
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contribution_round_id"), ["round_id"], unique=False)

    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("theme_preferences", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "declined",
                "delegated",
                name="invitationstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_invitation_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_invitation_round_id_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("round_id", "person_id", name=op.f("uq_invitation_round_id")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_round_id"), ["round_id"], unique=False)

    op.create_table(
        "session_attendee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "removed",
                name="attendeestatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_session_attendee_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["consultation_session.id"],
            name=op.f("fk_session_attendee_session_id_consultation_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_attendee")),
        sa.UniqueConstraint("session_id", "person_id", name=op.f("uq_session_attendee_session_id")),
    )
    op.create_table(
        "access_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_access_token_invitation_id_invitation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_access_token_token_hash")),
    )
    with op.batch_alter_table("access_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_token_invitation_id"), ["invitation_id"], unique=False
        )

    op.create_table(
        "block_contribution",
        sa.Column("block_id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["block_id"],
            ["building_block.id"],
            name=op.f("fk_block_contribution_block_id_building_block"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contribution.id"],
            name=op.f("fk_block_contribution_contribution_id_contribution"),
        ),
        sa.PrimaryKeyConstraint("block_id", "contribution_id", name=op.f("pk_block_contribution")),
        sa.UniqueConstraint("contribution_id", name=op.f("uq_block_contribution_contribution_id")),
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "invitation",
                "calendar_request",
                "calendar_cancel",
                name="outboxkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("recipient_email", sa.String(length=254), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("calendar_ics", sa.LargeBinary(), nullable=True),
        sa.Column("calendar_method", sa.String(length=20), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                name="outboxstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_outbox_message_invitation_id_invitation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_outbox_message_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_outbox_message_round_id_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_message_idempotency_key")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_message_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_message_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_message_round_id"))

    op.drop_table("outbox_message")
    op.drop_table("block_contribution")
    with op.batch_alter_table("access_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_token_invitation_id"))

    op.drop_table("access_token")
    op.drop_table("session_attendee")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_round_id"))

    op.drop_table("invitation")
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_round_id"))

    op.drop_table("contribution")
    op.drop_table("person")
    op.drop_table("consultation_session")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_sector"))

    op.drop_table("organisation")
    op.drop_table("candidate_slot")
    with op.batch_alter_table("building_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_building_block_round_id"))

    op.drop_table("building_block")
    op.drop_table("theme")
    op.drop_table("round")
    op.drop_table("region")

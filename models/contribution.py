"""What invitees bring in, and the building blocks staff distil from it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, LargeBinary, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.registry import Person
from models.round import ConsultationSession
from models.theme import Theme


class ContributionKind(StrEnum):
    PRE_SESSION_ANSWER = "pre_session_answer"
    SESSION_NOTE = "session_note"
    LESSON_LEARNED = "lesson_learned"
    PROPOSAL = "proposal"


class QuotePermission(StrEnum):
    ATTRIBUTABLE = "attributable"
    ROLE_ONLY = "role_only"
    NOT_QUOTABLE = "not_quotable"


class BlockStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    REJECTED = "rejected"


# A contribution rests in at most one block (unique contribution_id); one that is in none is
# "unassigned" and reports list it as such.
block_contribution = Table(
    "block_contribution",
    Base.metadata,
    Column("block_id", ForeignKey("building_block.id", ondelete="CASCADE"), primary_key=True),
    Column("contribution_id", ForeignKey("contribution.id"), primary_key=True, unique=True),
    # "staff" when a person put it there: a re-run of the pipeline never moves it again.
    Column("placed_by", String(20), nullable=False, server_default="pipeline"),
)


class Contribution(Base):
    __tablename__ = "contribution"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    # None once the contribution was anonymised (the person erased, or the round's retention
    # over): then only the anonymous_* columns below say who it came from.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("consultation_session.id"))
    kind: Mapped[ContributionKind] = mapped_column(enum_column(ContributionKind))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="nl")
    quote_permission: Mapped[QuotePermission] = mapped_column(
        enum_column(QuotePermission), default=QuotePermission.ROLE_ONLY
    )
    # Where it came from (e.g. "file.csv#row=12"); unique so importing the same input twice
    # does not store it twice.
    source_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    # A draft is saved but not yet handed in: synthesis and reports only use handed-in input.
    draft: Mapped[bool] = mapped_column(default=False, index=True)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What an anonymised contribution keeps of its author: role, sector and region, and a
    # random key shared by the round's contributions of the same former author, so support is
    # still counted per contributor.
    anonymous_role: Mapped[str | None] = mapped_column(String(200))
    anonymous_sector: Mapped[str | None] = mapped_column(String(50))
    anonymous_region: Mapped[str | None] = mapped_column(String(100))
    anonymous_key: Mapped[str | None] = mapped_column(String(32))

    person: Mapped[Person | None] = relationship()
    theme: Mapped[Theme] = relationship()
    session: Mapped[ConsultationSession | None] = relationship()
    blocks: Mapped[list[BuildingBlock]] = relationship(
        secondary=block_contribution, back_populates="contributions"
    )

    @property
    def sector(self) -> str:
        """The sector code of the author's organisation (kept when anonymised)."""
        if self.person is not None:
            return self.person.organisation.sector
        return self.anonymous_sector or ""

    @property
    def region(self) -> str:
        if self.person is not None:
            return self.person.organisation.region.name
        return self.anonymous_region or ""

    @property
    def role(self) -> str:
        if self.person is not None:
            return self.person.role
        return self.anonymous_role or ""

    @property
    def contributor(self) -> str:
        """Who made it, as a key that groups one author's contributions, named or not."""
        if self.person is not None:
            return f"person:{self.person.id}"
        return f"anonymous:{self.anonymous_key or self.id}"


class BuildingBlock(Base):
    __tablename__ = "building_block"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    key_terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[BlockStatus] = mapped_column(enum_column(BlockStatus), default=BlockStatus.DRAFT)
    # Contribution ids the pipeline picked as representative quotes (quotable ones only).
    quote_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # True once staff renamed it or edited its summary: a re-run keeps the block and its text.
    edited_by_staff: Mapped[bool] = mapped_column(default=False)
    # What staff say the block is about, in one sentence: synthesis places contributions by it.
    description: Mapped[str] = mapped_column(Text, default="")
    # The title is the pipeline's draft until staff give the block a title of their own.
    title_is_draft: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    theme: Mapped[Theme] = relationship()
    contributions: Mapped[list[Contribution]] = relationship(
        secondary=block_contribution, back_populates="blocks", order_by="Contribution.id"
    )


class ContributionEmbedding(Base):
    """A contribution's sentence embedding, made once when it is stored; made again only when
    the model (name, version, recipe) changes. The vector is little-endian float32 bytes."""

    __tablename__ = "contribution_embedding"

    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(200))
    dimension: Mapped[int]
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlockEvent(Base):
    """The audit trail of building blocks: who changed what, when. Kept when a block is merged
    away, so block_id is a plain number, not a foreign key."""

    __tablename__ = "block_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    block_id: Mapped[int | None] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)

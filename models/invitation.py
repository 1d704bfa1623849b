"""An invitation of one person to one round, and their answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.registry import Person
from models.round import Round


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DELEGATED = "delegated"
    # Taken back by the secretariat: the links stop working and no more mail goes to them.
    WITHDRAWN = "withdrawn"


class Invitation(Base):
    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("round_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    # Theme slugs, most preferred first; the launch puts the theme the person was picked for first.
    theme_preferences: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[InvitationStatus] = mapped_column(
        enum_column(InvitationStatus), default=InvitationStatus.PENDING
    )
    answered_at: Mapped[datetime | None]
    # Numbers the changes of the answer. Idempotency keys name a change by it: two requests
    # racing to make the same change read the same number, while a clock can give them two
    # moments (two confirmations) or give two real changes one moment (one confirmation).
    answer_revision: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a colleague passed this invitation on: theirs, and how many times in a row the
    # invitation has been passed on to reach this person (0 for one the secretariat sent).
    delegated_from_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    delegation_hops: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the secretariat withdrew the invitation, and who (the workplace account).
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL")
    )

    round: Mapped[Round] = relationship()
    person: Mapped[Person] = relationship()
    delegated_from: Mapped[Invitation | None] = relationship(remote_side=[id])

    def record_change(self, status: InvitationStatus, now: datetime) -> None:
        """The invitee's answer became `status` (or was given again with other details)."""
        self.status = status
        self.answered_at = now
        self.answer_revision = (self.answer_revision or 0) + 1


class DelegationAttempt(Base):
    """One use of the form that passes an invitation on, refused or not: attempts are limited
    per invitation per day."""

    __tablename__ = "delegation_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessToken(Base):
    """A link token to an invitee's page. Each email that carries a link mints its own token,
    so no token has to be kept in clear; only its hash is stored."""

    __tablename__ = "access_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invitation: Mapped[Invitation] = relationship()


class Availability(Base):
    """A candidate slot an invitee marked as one they can make."""

    __tablename__ = "availability"
    __table_args__ = (UniqueConstraint("invitation_id", "slot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("candidate_slot.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

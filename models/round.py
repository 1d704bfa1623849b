"""A consultation round, its candidate time slots and the sessions that were scheduled."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.registry import Person
from models.theme import Theme


class RoundStatus(StrEnum):
    INVITING = "inviting"
    SCHEDULED = "scheduled"
    COLLECTING = "collecting"
    SYNTHESISED = "synthesised"
    REPORTED = "reported"
    CLOSED = "closed"


class SessionStatus(StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"


class AttendeeStatus(StrEnum):
    SCHEDULED = "scheduled"
    REMOVED = "removed"


class Round(Base):
    __tablename__ = "round"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[RoundStatus] = mapped_column(
        enum_column(RoundStatus), default=RoundStatus.INVITING
    )
    answer_deadline: Mapped[datetime]
    input_deadline: Mapped[datetime]
    organiser_name: Mapped[str] = mapped_column(String(200))
    organiser_email: Mapped[str] = mapped_column(String(254))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the report was first written: the retention period runs from here.
    reported_at: Mapped[datetime | None]
    # When the retention period ended and the round's personal data was removed.
    personal_data_removed_at: Mapped[datetime | None]

    slots: Mapped[list[CandidateSlot]] = relationship(
        back_populates="round", order_by="CandidateSlot.start"
    )
    sessions: Mapped[list[ConsultationSession]] = relationship(
        back_populates="round", order_by="ConsultationSession.start"
    )


class CandidateSlot(Base):
    """A time at which a theme session may run; scheduling decides which slots open."""

    __tablename__ = "candidate_slot"
    __table_args__ = (UniqueConstraint("round_id", "theme_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"))
    start: Mapped[datetime]
    end: Mapped[datetime]
    # Withdrawn by the secretariat: no session opens here any more, and re-scheduling cancels
    # the ones that did and places their people elsewhere.
    cancelled: Mapped[bool] = mapped_column(default=False)

    round: Mapped[Round] = relationship(back_populates="slots")
    theme: Mapped[Theme] = relationship()


class ConsultationSession(Base):
    __tablename__ = "consultation_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"))
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("candidate_slot.id"))
    group_number: Mapped[int] = mapped_column(default=1)
    start: Mapped[datetime]
    end: Mapped[datetime]
    meeting_url: Mapped[str] = mapped_column(String(500))
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus), default=SessionStatus.PLANNED
    )
    # One UID per session: every attendee's copy is the same meeting, so replies and updates
    # from all attendees refer to one event, as RFC 5546 expects of an organiser.
    calendar_uid: Mapped[str] = mapped_column(String(200), unique=True)
    calendar_sequence: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship(back_populates="sessions")
    theme: Mapped[Theme] = relationship()
    attendees: Mapped[list[SessionAttendee]] = relationship(back_populates="session")


class SessionAttendee(Base):
    __tablename__ = "session_attendee"
    __table_args__ = (UniqueConstraint("session_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("consultation_session.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    status: Mapped[AttendeeStatus] = mapped_column(
        enum_column(AttendeeStatus), default=AttendeeStatus.SCHEDULED
    )
    # The attendee's answer in their calendar (iTIP PARTSTAT), from their latest valid reply.
    partstat: Mapped[str] = mapped_column(String(30), default="NEEDS-ACTION")

    session: Mapped[ConsultationSession] = relationship(back_populates="attendees")
    person: Mapped[Person] = relationship()

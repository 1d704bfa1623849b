"""Calendar replies (iTIP REPLY) read from the secretariat's mailbox, applied or set aside."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column, utcnow


class ReplyOutcome(StrEnum):
    APPLIED = "applied"
    SET_ASIDE = "set_aside"
    RESOLVED = "resolved"  # set aside, then handled by the secretariat


class CalendarReply(Base):
    __tablename__ = "calendar_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The mail's Message-ID (or a digest of it when missing): a reply is handled once.
    message_key: Mapped[str] = mapped_column(String(300), unique=True)
    mailbox_uid: Mapped[str] = mapped_column(String(100), default="")
    sender: Mapped[str] = mapped_column(String(254), default="")
    attendee: Mapped[str] = mapped_column(String(254), default="")
    event_uid: Mapped[str] = mapped_column(String(300), default="")
    sequence: Mapped[int | None]
    partstat: Mapped[str] = mapped_column(String(30), default="")
    delegated_to: Mapped[str] = mapped_column(String(254), default="")
    outcome: Mapped[ReplyOutcome] = mapped_column(enum_column(ReplyOutcome))
    reason: Mapped[str] = mapped_column(Text, default="")
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("consultation_session.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

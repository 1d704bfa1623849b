"""Emails waiting to be sent, written in the same transaction as the change that caused them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # Not sent because its address is on the suppression list; sent once the address is fixed.
    SUPPRESSED = "suppressed"
    # Not sent and never to be: the invitation it belongs to was withdrawn.
    CANCELLED = "cancelled"


class OutboxKind(StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"
    CONFIRMATION = "confirmation"
    INPUT_REQUEST = "input_request"
    CALENDAR_REQUEST = "calendar_request"
    CALENDAR_CANCEL = "calendar_cancel"
    # To a workplace account, not an invitee: no round, no person.
    PASSWORD_RESET = "password_reset"


class OutboxMessage(Base):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(enum_column(OutboxKind))
    # e.g. "invitation:12" or "calendar:REQUEST:session 4:person 9:seq 0"; unique, so a re-run
    # that tries to enqueue the same purpose again finds the row and adds nothing.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    message_id: Mapped[str] = mapped_column(String(300))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    recipient_email: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(500))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    calendar_ics: Mapped[bytes | None] = mapped_column(LargeBinary)
    calendar_method: Mapped[str | None] = mapped_column(String(20))
    # The bodies hold "[link:<id>]" where a personal link's token goes; this maps each id to
    # the token encrypted with a key from the configuration (never stored here). Cleared once
    # the message is sent, so a sent message stays on record without a usable link.
    sealed_links: Mapped[dict[str, str] | None] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class SuppressedAddress(Base):
    """An address a server refused for good (5xx to RCPT): nothing more is sent to it until the
    secretariat corrects or releases it. Sending on would only bounce again, and relays lower
    the reputation of senders who keep mailing unknown users."""

    __tablename__ = "suppressed_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower case
    reason: Mapped[str] = mapped_column(Text)  # the server's reply
    # The message that bounced first.
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""A mailing approved by the secretariat: from then on its messages leave the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column, utcnow
from models.outbox import OutboxKind


class MailingApproval(Base):
    """One round's mailing of one kind (its invitations, its reminders, ...), approved once:
    mail of that kind queued later for the round leaves without a second approval."""

    __tablename__ = "mailing_approval"
    __table_args__ = (UniqueConstraint("round_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    kind: Mapped[OutboxKind] = mapped_column(enum_column(OutboxKind))
    # Who approved, as they are known (an account's address, or the name a command gave).
    approved_by: Mapped[str] = mapped_column(String(254))
    # The workplace account that approved, if one did.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How many messages were waiting when it was approved.
    waiting: Mapped[int] = mapped_column(default=0)

"""The last scheduling proposal computed for a round in the workplace, kept until it is applied
or replaced, with a fingerprint of what it was computed from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ScheduleProposal(Base):
    """One row per round: computing again replaces it. The plan names people by id only (their
    names are read when the page is shown), so erasing someone leaves no name behind here."""

    __tablename__ = "schedule_proposal"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("round.id", ondelete="CASCADE"), primary_key=True
    )
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # sha256 of the scheduling problem the plan solves (accepted people, their themes and
    # times, the open slots, the rules, who sits where): applying refuses a plan whose problem
    # has changed since.
    fingerprint: Mapped[str] = mapped_column(String(64))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    applied_at: Mapped[datetime | None] = mapped_column(default=None)

"""Ask the attendees of sessions that ended for their lessons learned."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from consult.rounds.lessons import queue_lessons_requests
from consult.wiring import App


def queue_batch(session: Session, ctx: App, session_ids: Sequence[int], now: datetime) -> int:
    """Once per person and session; sessions that have not ended yet are left for later."""
    return queue_lessons_requests(session, ctx.mail_context(), session_ids, now)

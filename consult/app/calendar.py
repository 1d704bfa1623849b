"""Send each attendee the calendar message their session needs now (REQUEST or CANCEL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consult.app import outbox
from consult.app.batches import SESSIONS_PER_BATCH, chunks
from consult.mail.outbox import SendCounts
from consult.rounds.calendar_invites import queue_calendar_invites, session_ids_needing_invites
from consult.wiring import App


def sessions(session: Session, round_id: int) -> list[int]:
    return session_ids_needing_invites(session, round_id)


def queue_batch(session: Session, ctx: App, session_ids: list[int], now: datetime) -> int:
    return queue_calendar_invites(session, ctx.mail_context(), session_ids, now)


async def send_calendar_invites(ctx: App, round_id: int, now: datetime) -> tuple[int, SendCounts]:
    with ctx.db.unit_of_work() as session:
        ids = sessions(session, round_id)
    queued = 0
    for batch in chunks(ids, SESSIONS_PER_BATCH):
        with ctx.db.unit_of_work() as session:
            queued += queue_batch(session, ctx, batch, now)
    return queued, await outbox.send(ctx)
